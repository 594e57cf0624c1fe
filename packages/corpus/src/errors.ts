/** Stable codes for the errors this package throws on purpose. */
export type CorpusErrorCode =
  | 'CORPUS_ERR_TOO_MANY_FILES'
  | 'CORPUS_ERR_NOT_A_DIRECTORY'
  | 'CORPUS_ERR_PUBLIC_HOST'
  | 'CORPUS_ERR_BAD_CONFIG';

/**
 * An error this package raises on purpose: a stable `code` and a message that starts with
 * `corpus:`. The underlying error, if any, is kept as `cause`.
 */
export class CorpusError extends Error {
  constructor(
    readonly code: CorpusErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CorpusError';
  }
}
