/**
 * Structured JSON logs for every service: pino with the service name on every line and a
 * request id where there is one. Nothing secret or personal reaches a line:
 *
 * 1. values under sensitive keys (`authorization`, `cookie`, `x-api-key`, `x-vault-token`,
 *    `token`, `password`, `secret_id`, `*_API_KEY`, …) become `[REDACTED]` — through pino
 *    `redact` paths and a case-insensitive walk of every logged object (any depth);
 * 2. errors, wherever they sit, are serialized without the request configuration, headers and
 *    bodies HTTP client errors carry (FINDINGS: node-vault's AxiosErrors print the token);
 * 3. every registered secret VALUE (see {@link registerSecretValues}) is replaced by
 *    `[REDACTED]` wherever it appears in the finished line — message, nested strings, error
 *    messages and stacks;
 * 4. e-mail addresses and phone numbers are masked (`***@example.com`, `***43`).
 *
 * Steps 3 and 4 run on the serialized line (pino `hooks.streamWrite`), so nothing escapes them.
 */
import { pino, type DestinationStream, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import { maskPii } from './pii.js';
import { CENSOR, REDACT_PATHS, sanitizeForLog, serializeError } from './redact.js';
import { defaultScrubber, type SecretScrubber } from './scrub.js';

export { CENSOR, REDACT_PATHS, SENSITIVE_KEYS, isSensitiveKey, sanitizeForLog, serializeError, type SafeError } from './redact.js';
export { MAX_SCRUB_VALUES, MIN_SCRUB_LENGTH, SecretScrubber, defaultScrubber, registerSecretValues, urlPasswords } from './scrub.js';
export { maskEmail, maskPhone, maskPii } from './pii.js';

export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; stdout by default. Tests pass a stream to parse the JSON lines. */
  destination?: DestinationStream;
  /** Secret values to scrub from every line; the process-wide {@link defaultScrubber} by default. */
  scrubber?: SecretScrubber;
  /** Mask e-mail addresses and phone numbers (default true). */
  maskPii?: boolean;
}

/**
 * A pino logger writing one JSON object per line. Lines are redacted, scrubbed of registered
 * secret values and PII-masked before they reach the destination; child loggers inherit all of
 * it (their bindings go through the same walk).
 */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const scrubber = opts.scrubber ?? defaultScrubber;
  const mask = opts.maskPii ?? true;
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: { service: opts.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => sanitizeForLog(bindings) as Record<string, unknown>,
      log: (obj) => sanitizeForLog(obj) as Record<string, unknown>,
    },
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    serializers: { err: serializeError, error: serializeError },
    hooks: {
      streamWrite: (line) => {
        const scrubbed = scrubber.scrub(line);
        return mask ? maskPii(scrubbed) : scrubbed;
      },
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A request id from outside is used only when it is short and plain; otherwise a new one. */
export function acceptRequestId(candidate: unknown): string {
  return typeof candidate === 'string' && REQUEST_ID.test(candidate) ? candidate : newRequestId();
}

export function newRequestId(): string {
  return crypto.randomUUID();
}
