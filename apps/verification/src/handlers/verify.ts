import type { VerifyResponse } from '@stats-agent/proto';
import type { CallContext } from '@stats-agent/rpc';
import { mapWithConcurrency } from '@stats-agent/runtime';
import { fetchFailureReason, type PageFetcher } from '@stats-agent/safe-fetch';
import { PageTextError, readPage } from '@stats-agent/text';
import { z } from 'zod';
import { judge, snapshot, type PageSnapshot } from '@stats-agent/verifier';

const candidateSchema = z.object({
  name: z.string().max(500),
  value: z.number().refine(Number.isFinite, 'must be a finite number'),
  unit: z.string().max(64),
  source: z.string().max(500),
  source_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  excerpt: z.string().min(1, 'excerpt is required').max(5000),
  period: z.string().max(64),
  relevance: z.number(),
});

export const verifyRequestSchema = z.object({
  candidates: z.array(candidateSchema).min(1, 'at least one candidate is required').max(200),
});

export interface VerifyDeps {
  fetcher: PageFetcher;
  concurrency: number;
  /** The verifier's own SPIFFE ID, recorded on every verdict. */
  verifierId: () => string;
}

/** Fetches each distinct source once per batch, then judges every candidate against it. */
export function verifyHandler(deps: VerifyDeps) {
  return async (req: z.output<typeof verifyRequestSchema>, ctx: CallContext): Promise<VerifyResponse> => {
    const urls = [...new Set(req.candidates.map((c) => c.source_url))];
    const pages = await mapWithConcurrency(
      urls,
      deps.concurrency,
      async (url): Promise<PageSnapshot> => {
        try {
          const page = await deps.fetcher.fetch(url, { signal: ctx.signal });
          return snapshot((await readPage(page, { signal: ctx.signal })).text, page.fetchedAt);
        } catch (err) {
          const reason = err instanceof PageTextError ? err.code : fetchFailureReason(err);
          return { ok: false, reason, fetchedAt: new Date() };
        }
      },
      ctx.signal,
    );
    const byUrl = new Map(urls.map((u, i) => [u, pages[i] as PageSnapshot]));
    const verifier = deps.verifierId();
    const results = req.candidates.map((c) => judge(c, byUrl.get(c.source_url) as PageSnapshot, verifier));
    const verified = results.filter((r) => r.verified).length;
    ctx.logger.info({ candidates: results.length, sources: urls.length, verified }, 'verification done');
    return { results };
  };
}
