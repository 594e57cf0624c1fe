import { readFile, stat } from 'node:fs/promises';
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
  ) {
    super(message);
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

async function postJson(baseUrl: string, path: string, payload: unknown, timeoutMs: number, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(new URL(path, baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'connection failed';
    throw new ApiError(0, 'unreachable', `orchestrator at ${baseUrl}: ${reason} (is the team running? try \`stats-agent up\`)`);
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    const hint = res.status === 401 && !headers['authorization'] ? ' (set STATS_AGENT_API_KEY or pass --api-key-file; `stats-agent up` prints where its key is)' : '';
    throw new ApiError(res.status, e?.code ?? 'http_error', `${e?.message ?? `HTTP ${res.status}`}${hint}`);
  }
  return { status: res.status, body };
}

export const verifyResponseSchema = z.object({
  results: z.array(z.object({ statistic: statisticSchema, verified: z.boolean(), reason: z.string() })),
  verified_count: z.number(),
  failed_count: z.number(),
});

export type VerifyResponse = z.output<typeof verifyResponseSchema>;

/** Calls `POST /v1/verify` with the candidates as given (the server validates them). */
export async function verify(baseUrl: string, candidates: unknown[], timeoutMs: number, headers: Record<string, string> = {}): Promise<{ raw: unknown; parsed: VerifyResponse }> {
  const { status, body } = await postJson(baseUrl, '/v1/verify', { candidates }, timeoutMs, headers);
  const parsed = verifyResponseSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(status, 'bad_response', 'the orchestrator answered with an unexpected shape');
  return { raw: body, parsed: parsed.data };
}
