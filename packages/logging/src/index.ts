/**
 * Structured JSON logs for every service: pino with the service name on every line, a
 * request id where there is one, sensitive keys redacted and errors serialized without the
 * request configuration and headers that HTTP client errors carry (FINDINGS: node-vault's
 * AxiosErrors print the token otherwise).
 */
import { pino, type DestinationStream, type Logger as PinoLogger, type LoggerOptions } from 'pino';

export type Logger = PinoLogger;

/** Keys whose values never reach a log line, wherever they sit (two levels deep). */
const SENSITIVE_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'apiKey',
  'api_key',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'password',
  'secret',
  'clientSecret',
  'privateKey',
  'private_key',
  'key',
];

export const REDACT_PATHS: string[] = SENSITIVE_KEYS.flatMap((k) => {
  const seg = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dot = seg.startsWith('[') ? seg : `.${seg}`;
  return [seg, `*${dot}`, `*.*${dot}`];
});

export interface SafeError {
  type: string;
  message: string;
  code?: string | number;
  stack?: string;
  cause?: SafeError;
}

/** Serializes an error keeping only its name, message, code, stack and cause chain. */
export function serializeError(err: unknown, depth = 0): SafeError {
  if (!(err instanceof Error)) return { type: typeof err, message: String(err) };
  const out: SafeError = { type: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (err.stack) out.stack = err.stack;
  if (err.cause !== undefined && depth < 3) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

export interface CreateLoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; stdout by default. Tests pass a stream to parse the JSON lines. */
  destination?: DestinationStream;
}

export function createLogger(opts: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: { service: opts.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
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
