export {
  contentTypeFor,
  documentUrl,
  listDocuments,
  sampleCorpusDir,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_FILES,
  type CorpusDocument,
  type ListDocumentsOptions,
} from './documents.js';
export { CorpusError, type CorpusErrorCode } from './errors.js';
export {
  startCorpusServer,
  isLoopbackHost,
  DEFAULT_CORPUS_HOST,
  DEFAULT_CORPUS_PORT,
  type CorpusServer,
  type CorpusServerOptions,
  type MinimalLogger,
} from './server.js';
