// @stats-agent/audit: the tamper-evident audit trail — hash-chained JSON lines, a head
// checkpoint, an optional store mirror, and a verifier that says where a log was tampered with.
export { canonicalJson, CanonicalJsonError } from './canonical.js';
export { AuditError, type AuditErrorCode } from './errors.js';
export {
  ACTOR_KINDS,
  AUDIT_ACTIONS,
  GENESIS_HASH,
  HASH_ALGS,
  OUTCOMES,
  RECORD_VERSION,
  computeHash,
  hashInput,
  hashTopic,
  normalizeEvent,
  recordSchema,
  redactActorId,
  type ActorKind,
  type AuditAction,
  type AuditActor,
  type AuditDetail,
  type AuditEvent,
  type AuditRecord,
  type HashAlg,
  type Outcome,
} from './record.js';
export { headPathFor, parseHead, readHead, readHeadFile, writeHead, type AuditHead } from './head.js';
export {
  MAX_LINE_BYTES,
  PROBLEM_KINDS,
  isLaterSegmentName,
  segmentLinkProblems,
  storeRowHash,
  verifyAudit,
  type AuditProblem,
  type ProblemKind,
  type StoreRow,
  type VerifyInput,
  type VerifyOptions,
  type VerifyResult,
} from './verify.js';
export {
  AuditLog,
  listSegments,
  segmentPath,
  storeSink,
  type AuditLogger,
  type AuditLogOptions,
  type AuditLogStats,
  type AuditSink,
  type AuditStoreEnvelope,
  type AuditStoreLike,
  type FsyncPolicy,
} from './writer.js';
export { auditConfigFromEnv, auditLogOptions, type AuditConfig } from './config.js';
