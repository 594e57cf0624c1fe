import { z } from 'zod';

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

async function postJson(baseUrl: string, path: string, payload: unknown, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(new URL(path, baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
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
    throw new ApiError(res.status, e?.code ?? 'http_error', e?.message ?? `HTTP ${res.status}`);
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
export async function verify(baseUrl: string, candidates: unknown[], timeoutMs: number): Promise<{ raw: unknown; parsed: VerifyResponse }> {
  const { status, body } = await postJson(baseUrl, '/v1/verify', { candidates }, timeoutMs);
  const parsed = verifyResponseSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(status, 'bad_response', 'the orchestrator answered with an unexpected shape');
  return { raw: body, parsed: parsed.data };
}
