import type { CandidateStatistic__Output } from '@stats-agent/proto';

/** The providers this package speaks to. xai, ollama and vllm use the OpenAI-compatible API. */
export const LLM_PROVIDERS = ['openai', 'anthropic', 'gemini', 'ollama', 'xai', 'vllm'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

/** One page to extract from. */
export interface ExtractInput {
  /** The topic the statistics should be about (trusted: it comes from the caller, not the page). */
  topic: string;
  /** The page's main text. Untrusted: it is sent to the model only as data. */
  pageText: string;
  /** The page's title (untrusted, sent inside the data block). */
  title: string;
  /** The page URL; becomes `source_url`. */
  url: string;
  /** Name of the publisher; becomes `source` (defaults to `title`, then the URL's host). */
  sourceName?: string;
  /** At most this many candidates are returned (1..200). */
  maxCandidates: number;
  /** Aborting it rejects the call with LLM_ERR_ABORTED. */
  signal?: AbortSignal;
}

/** What happened to the model's items on their way to candidates. */
export interface ExtractStats {
  /** Items the model returned. */
  returned: number;
  /** Items that failed the schema (missing field, value not a finite number, too long, …). */
  invalid: number;
  /** Items whose excerpt does not occur in the page (after normalization). */
  notInPage: number;
  /** Items that repeat another (same place, value and unit). */
  duplicates: number;
  /** HTTP attempts made (1 + retries, over both output attempts). */
  attempts: number;
}

export interface ExtractResult {
  /** Candidates whose excerpt is in the page, most relevant first, at most `maxCandidates`. */
  candidates: CandidateStatistic__Output[];
  stats: ExtractStats;
}

/**
 * Extracts candidate statistics from one page. Rejects with an `LlmError` (see errors.ts);
 * never resolves with a candidate whose excerpt is not in `pageText`.
 */
export interface Extractor {
  readonly provider: LlmProviderName;
  readonly model: string;
  extract(input: ExtractInput): Promise<ExtractResult>;
  /** Closes the HTTP connections; calls after it fail. */
  close(): Promise<void>;
}
