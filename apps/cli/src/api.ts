import { readFile, stat } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';

const MAX_KEY_FILE_BYTES = 4096;

/**
 * The API key the CLI sends: the contents of `--api-key-file`, else `STATS_AGENT_API_KEY`, else
 * none. Rejects with a message naming the file (never its contents) when it cannot be used.
 */
export async function resolveApiKey(opts: { apiKeyFile?: string | undefined }, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (opts.apiKeyFile) {
    const info = await stat(opts.apiKeyFile).catch(() => undefined);
    if (!info?.isFile()) throw new Error(`${opts.apiKeyFile}: no such file`);
    if (info.size > MAX_KEY_FILE_BYTES) throw new Error(`${opts.apiKeyFile}: too large for an API key file`);
    const key = (await readFile(opts.apiKeyFile, 'utf8')).trim();
    if (key === '' || /\s/.test(key)) throw new Error(`${opts.apiKeyFile}: expected one API key on one line`);
    return key;
  }
  const fromEnv = env['STATS_AGENT_API_KEY']?.trim();
  return fromEnv ? fromEnv : undefined;
}

/** `Authorization: Bearer <key>` when there is a key. */
export function authHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

const statisticSchema = z.object({
  name: z.string(),
  value: z.number(),
  unit: z.string(),
  source: z.string(),
  source_url: z.string(),
  excerpt: z.string(),
  verified: z.boolean(),
  date_found: z.string(),
  period: z.string().optional(),
  verification: z.object({ reason: z.string(), verifier: z.string() }).passthrough().optional(),
});

export const orchestrateResponseSchema = z.object({
  topic: z.string(),
  statistics: z.array(statisticSchema),
  total_candidates: z.number(),
  verified_count: z.number(),
  failed_count: z.number(),
  timestamp: z.string(),
  partial: z.boolean(),
  target_count: z.number(),
});

export type OrchestrateResponse = z.output<typeof orchestrateResponseSchema>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }
}

export interface SearchParams {
  topic: string;
  min_verified_stats?: number;
  max_candidates?: number;
  reputable_only?: boolean;
  since?: number;
}

/** The orchestrator the CLI talks to unless `--url` says otherwise. */
export const DEFAULT_URL = process.env['STATS_AGENT_URL'] ?? 'http://127.0.0.1:8000';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

// Server text (an error message, a candidate) reaches a terminal: no control characters, no bidi overrides.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
export const clean = (v: unknown): string => String(v ?? '').replace(UNSAFE, '?');

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Ends the request; `timeoutMs` is what the error then says. */
  signal: AbortSignal;
  timeoutMs: number;
  /** Added to a 403's message (which scope the command needs). */
  forbiddenHint?: string;
}

/**
 * One request to the orchestrator. Resolves with the response when its status is 2xx; else
 * rejects with an ApiError carrying the server's code and message (cleaned for a terminal, with
 * a hint on 401 without a key and on 403). Connection failures and time-outs are `unreachable`.
 */
export async function request(baseUrl: string, path: string, o: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers };
  let res: Response;
  try {
    res = await fetch(new URL(path, baseUrl), {
      method: o.method ?? 'GET',
      headers,
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      signal: o.signal,
    });
  } catch (err) {
    const reason = o.signal.aborted ? `no answer within ${o.timeoutMs} ms` : 'connection failed';
    throw new ApiError(0, 'unreachable', `orchestrator at ${baseUrl}: ${reason} (is the team running? try \`stats-agent up\`)`, { cause: err });
  }
  if (res.ok) return res;
  const e = ((await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined)?.error;
  const hint =
    res.status === 401 && !headers['authorization']
      ? ' (set STATS_AGENT_API_KEY or pass --api-key-file; `stats-agent up` prints where its key is)'
      : res.status === 403 && o.forbiddenHint
        ? ` (${o.forbiddenHint})`
        : '';
  throw new ApiError(res.status, clean(e?.code ?? 'http_error'), `${clean(e?.message ?? `HTTP ${res.status}`)}${hint}`);
}

/** {@link request}, and the JSON body of its answer (undefined when it is not JSON). */
export async function requestJson(baseUrl: string, path: string, o: RequestOptions): Promise<{ status: number; body: unknown }> {
  const res = await request(baseUrl, path, o);
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

export const verifyResponseSchema = z.object({
  results: z.array(z.object({ statistic: statisticSchema, verified: z.boolean(), reason: z.string() })),
  verified_count: z.number(),
  failed_count: z.number(),
});

export type VerifyResponse = z.output<typeof verifyResponseSchema>;

/** Calls `POST /v1/verify` with the candidates as given (the server validates them). */
export async function verify(baseUrl: string, candidates: unknown[], timeoutMs: number, headers: Record<string, string> = {}): Promise<{ raw: unknown; parsed: VerifyResponse }> {
  const { status, body } = await requestJson(baseUrl, '/v1/verify', { method: 'POST', body: { candidates }, headers, signal: AbortSignal.timeout(timeoutMs), timeoutMs });
  const parsed = verifyResponseSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(status, 'bad_response', 'the orchestrator answered with an unexpected shape');
  return { raw: body, parsed: parsed.data };
}
