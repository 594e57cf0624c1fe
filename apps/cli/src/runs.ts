import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { z } from 'zod';
import { ApiError, orchestrateResponseSchema, request, type OrchestrateResponse, type SearchParams } from './api.js';

/** A progress event of a run (`GET /v1/runs/{id}/events`, event `progress`). */
export const progressSchema = z.object({
  stage: z.enum(['research', 'synthesis', 'verification']),
  round: z.number(),
  sources: z.number(),
  candidates: z.number(),
  verified: z.number(),
  failed: z.number(),
});
export type RunProgress = z.output<typeof progressSchema>;

const runSchema = z.object({
  run_id: z.string().regex(/^run_[0-9a-f-]{36}$/),
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  result: z.unknown(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  links: z.object({ self: z.string().startsWith('/v1/runs/'), events: z.string().startsWith('/v1/runs/') }),
});

const errorEventSchema = z.object({ code: z.string(), message: z.string() });

export interface RunSearchOptions {
  timeoutMs: number;
  /** Sent with every request (authorization). */
  headers?: Record<string, string>;
  onProgress?: (p: RunProgress) => void;
  /** Reconnections of the event stream after it drops, resuming from the last event id. */
  maxReconnects?: number;
}

/**
 * Searches as an asynchronous run: `POST /v1/runs`, then follows `GET /v1/runs/{id}/events`
 * (reporting each `progress` event, reconnecting from the last event id if the stream drops)
 * until `done`, then reads the result from `GET /v1/runs/{id}` — the same shape as
 * `POST /v1/orchestrate`. A failed run rejects with ApiError carrying the run's error code.
 */
export async function searchWithProgress(baseUrl: string, params: SearchParams, opts: RunSearchOptions): Promise<{ raw: unknown; parsed: OrchestrateResponse }> {
  const common = { headers: opts.headers ?? {}, signal: AbortSignal.timeout(opts.timeoutMs), timeoutMs: opts.timeoutMs };
  const { signal } = common;
  const created = await request(baseUrl, '/v1/runs', { ...common, method: 'POST', body: params });
  const run = runSchema.safeParse(await created.json().catch(() => undefined));
  if (!run.success) throw new ApiError(created.status, 'bad_response', 'the orchestrator answered POST /v1/runs with an unexpected shape');

  let lastId = '';
  let ended: { kind: 'done' } | { kind: 'error'; code: string; message: string } | undefined;
  for (let attempt = 0; !ended && attempt <= (opts.maxReconnects ?? 3); attempt++) {
    const res = await request(baseUrl, run.data.links.events, {
      ...common,
      headers: { ...common.headers, accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
    });
    if (!res.body) throw new ApiError(res.status, 'bad_response', 'the event stream has no body');
    const parser = createParser({
      onEvent: (e: EventSourceMessage) => {
        if (e.id) lastId = e.id;
        const data: unknown = JSON.parse(e.data);
        if (e.event === 'progress') {
          const p = progressSchema.safeParse(data);
          if (p.success) opts.onProgress?.(p.data);
        } else if (e.event === 'done') {
          ended = { kind: 'done' };
        } else if (e.event === 'error') {
          const err = errorEventSchema.safeParse(data);
          ended = { kind: 'error', code: err.success ? err.data.code : 'run_failed', message: err.success ? err.data.message : 'the run failed' };
        }
      },
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch (err) {
      if (signal.aborted) throw new ApiError(0, 'timeout', `the run did not finish within ${opts.timeoutMs} ms`);
      if (attempt === (opts.maxReconnects ?? 3)) throw err;
    }
  }
  if (!ended) throw new ApiError(0, 'stream_lost', `lost the event stream of ${run.data.run_id}`);
  if (ended.kind === 'error') throw new ApiError(0, ended.code, ended.message);

  const final = await request(baseUrl, run.data.links.self, common);
  const body = runSchema.safeParse(await final.json().catch(() => undefined));
  const parsed = orchestrateResponseSchema.safeParse(body.success ? body.data.result : undefined);
  if (!body.success || !parsed.success) throw new ApiError(final.status, 'bad_response', 'the orchestrator answered with an unexpected shape');
  return { raw: body.data.result, parsed: parsed.data };
}

/** One line per progress event, for stderr: "round 2  verification  sources 16  candidates 24  verified 9". */
export function formatProgress(p: RunProgress): string {
  return `round ${p.round}  ${p.stage.padEnd(12)}  sources ${p.sources}  candidates ${p.candidates}  verified ${p.verified}\n`;
}
