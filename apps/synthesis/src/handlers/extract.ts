import type { CandidateStatistic__Output, ExtractResponse, SourceOutcome } from '@stats-agent/proto';
import type { CallContext } from '@stats-agent/rpc';
import { mapWithConcurrency } from '@stats-agent/runtime';
import { fetchFailureReason, type PageFetcher } from '@stats-agent/safe-fetch';
import { PageTextError, limitText, readPage } from '@stats-agent/text';
import { z } from 'zod';
import { extractCandidates } from '@stats-agent/extractor';
import { llmFailureReason, type Extractor } from '@stats-agent/llm';
import type { PageText } from '@stats-agent/text';
import type { Cache } from '@stats-agent/cache';

const sourceSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  title: z.string().max(1000),
  snippet: z.string().max(5000),
  domain: z.string().max(253),
  position: z.number().int().min(0),
  score: z.number(),
  reputation_tier: z.string().max(32),
  publisher: z.string().max(200),
  publisher_domain: z.string().max(253),
});

export const extractRequestSchema = z.object({
  topic: z.string().trim().min(1, 'topic is required').max(500),
  sources: z.array(sourceSchema).min(1, 'at least one source is required').max(50),
  max_candidates: z.number().int().min(0).max(1000),
});

const MAX_PAGE_CHARS = 30_000;

export interface ExtractDeps {
  fetcher: PageFetcher;
  /**
   * Page texts already read (at most 30,000 characters each), by URL, for their TTL: a page that
   * several searches cite is fetched and parsed once. Failures are not kept. (The verification
   * agent keeps no such cache: it fetches every page again itself.)
   */
  pages?: Cache<PageText>;
  concurrency: number;
  maxPerPage: number;
  /** When set, pages are read by this LLM instead of the rule-based extractor. */
  llm?: Extractor;
}

export function extractHandler(deps: ExtractDeps) {
  return async (req: z.output<typeof extractRequestSchema>, ctx: CallContext): Promise<ExtractResponse> => {
    const perSource = await mapWithConcurrency(
      req.sources,
      deps.concurrency,
      async (source): Promise<{ outcome: SourceOutcome; candidates: CandidateStatistic__Output[] }> => {
        try {
          // Up to 30,000 characters of each page are mined; the verifier reads the whole page.
          const read = async (): Promise<PageText> =>
            limitText(await readPage(await deps.fetcher.fetch(source.url, { signal: ctx.signal }), { signal: ctx.signal }), MAX_PAGE_CHARS);
          const text = deps.pages ? (await deps.pages.getOrLoad(source.url, read)).value : await read();
          if (deps.llm !== undefined) return await extractWithLlm(deps.llm, req.topic, source, text, deps.maxPerPage, ctx);
          const candidates = extractCandidates(text, {
            topic: req.topic,
            sourceName: source.publisher || text.title || source.title || source.domain,
            sourceUrl: source.url,
            maxCandidates: deps.maxPerPage,
          });
          return { outcome: { url: source.url, fetched: true, reason: '', candidates: candidates.length }, candidates };
        } catch (err) {
          const reason = err instanceof PageTextError ? err.code : fetchFailureReason(err);
          ctx.logger.info({ url: source.url, reason }, 'source not read');
          return { outcome: { url: source.url, fetched: false, reason, candidates: 0 }, candidates: [] };
        }
      },
      ctx.signal,
    );
    const all = perSource.flatMap((p) => p.candidates).sort((a, b) => b.relevance - a.relevance);
    const candidates = req.max_candidates > 0 ? all.slice(0, req.max_candidates) : all;
    ctx.logger.info({ sources: req.sources.length, candidates: candidates.length }, 'extraction done');
    return { candidates, sources: perSource.map((p) => p.outcome) };
  };
}

/**
 * One page through the LLM. Every candidate's excerpt is in `text` (the extractor drops the
 * rest); a failed LLM call is this source's outcome (`llm_timeout`, `llm_rate_limited`, …),
 * never the whole call's.
 */
async function extractWithLlm(
  llm: Extractor,
  topic: string,
  source: z.output<typeof sourceSchema>,
  text: PageText,
  maxPerPage: number,
  ctx: CallContext,
): Promise<{ outcome: SourceOutcome; candidates: CandidateStatistic__Output[] }> {
  const sourceName = source.publisher || text.title || source.title || source.domain;
  try {
    const { candidates, stats } = await llm.extract({ topic, pageText: text.text, title: text.title, url: source.url, sourceName, maxCandidates: maxPerPage, signal: ctx.signal });
    ctx.logger.info({ url: source.url, provider: llm.provider, ...stats, candidates: candidates.length }, 'llm extraction done');
    return { outcome: { url: source.url, fetched: true, reason: '', candidates: candidates.length }, candidates };
  } catch (err) {
    const reason = llmFailureReason(err);
    // LlmError messages name the provider and never carry the key.
    ctx.logger.warn({ url: source.url, provider: llm.provider, reason, error: err instanceof Error ? err.message : 'unknown' }, 'llm extraction failed');
    return { outcome: { url: source.url, fetched: true, reason, candidates: 0 }, candidates: [] };
  }
}
