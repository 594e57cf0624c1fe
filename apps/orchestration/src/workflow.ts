import type {
  CandidateStatistic,
  CandidateStatistic__Output,
  ExtractRequest,
  ExtractResponse__Output,
  SearchRequest,
  SearchResponse__Output,
  VerificationResult__Output,
  VerifyRequest,
  VerifyResponse__Output,
} from '@stats-agent/proto';
import { status } from '@grpc/grpc-js';
import { isGrpcCallError, statusName, type CallSettings } from '@stats-agent/rpc';
import { mapWithConcurrency } from '@stats-agent/runtime';
import { agentFailure, HttpError, type AgentName } from './errors.js';

/** The three agents as the workflow sees them (gRPC clients in production, fakes in tests). */
export interface Agents {
  search(req: SearchRequest, s: CallSettings): Promise<SearchResponse__Output>;
  extract(req: ExtractRequest, s: CallSettings): Promise<ExtractResponse__Output>;
  verify(req: VerifyRequest, s: CallSettings): Promise<VerifyResponse__Output>;
}

export interface OrchestrateInput {
  topic: string;
  min_verified_stats: number;
  max_candidates: number;
  reputable_only: boolean;
  /** Keep only statistics whose period (as the page states it) is this year or later. */
  since?: number | undefined;
}

/** The last year a period names ("2023", "2022-23" → 2023, "2019–2021" → 2021), if any. */
export function periodYear(period: string): number | undefined {
  const m = /((?:19|20)\d{2})(?:\s*[-–/]\s*(\d{2,4}))?/.exec(period);
  if (!m?.[1]) return undefined;
  const first = Number(m[1]);
  if (!m[2]) return first;
  const end = m[2].length === 2 ? Math.floor(first / 100) * 100 + Number(m[2]) : Number(m[2]);
  return end >= first ? end : first;
}

/** Where a run is, reported after each stage of each round (for the CLI and the events stream). */
export interface Progress {
  stage: 'research' | 'synthesis' | 'verification' | 'done';
  round: number;
  /** Sources read so far (all rounds). */
  sources: number;
  /** Candidates judged so far. */
  candidates: number;
  verified: number;
  failed: number;
  /** Set on `done`. */
  stop_reason?: StopReason;
}

/** Why the quality loop stopped. */
export type StopReason =
  | 'target_reached'
  | 'max_candidates'
  | 'sources_exhausted'
  | 'max_rounds'
  | 'round_deadline'
  | 'deadline';

export interface WorkflowSettings {
  requestId: string;
  signal?: AbortSignal;
  timeouts: Record<AgentName, number>;
  /** Absolute end of the whole request (ms since epoch). */
  deadline: number;
  /** Most time one round (search, extract, verify) may take; 0 or absent: only the overall deadline. */
  roundTimeoutMs?: number;
  maxRounds: number;
  sourcesPerRound: number;
  /** Called after each stage; must not throw. */
  onProgress?: (p: Progress) => void;
  /** Transient agent failures (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) are retried; default {@link DEFAULT_RETRY}. */
  retry?: RetryPolicy;
  /** Called before each retry; must not throw. */
  onRetry?: (r: { agent: AgentName; attempt: number; code: string; delayMs: number }) => void;
  /**
   * Reputable sources first: rounds read only reputable sources until those run out, then the
   * rest (already-read sources are skipped). Workflow 1.1.0 does this; 1.0.0 does not.
   */
  reputableFirst?: boolean;
  /**
   * Where finished agent calls are kept, by idempotency key: a call whose answer is stored is
   * not made again. A run that is executed again after a crash therefore replays its finished
   * steps from the store and goes on from the first unfinished one.
   */
  steps?: StepStore;
  /** Told about a candidate the verification agent fails on even alone (it becomes a dead letter). */
  onPoison?: (e: { round: number; key: string; candidate: CandidateStatistic__Output; error: HttpError }) => void | Promise<void>;
  /** Told about each round's candidates before they are verified, and about their verdicts after. */
  onItems?: (e: { round: number; stage: 'extracted'; candidates: CandidateStatistic__Output[] } | { round: number; stage: 'judged'; results: VerificationResult__Output[] }) => void | Promise<void>;
}

/** Finished agent calls of one run, by key (`<round>:<stage>[:<part>]`). */
export interface StepStore {
  load(key: string): Promise<unknown>;
  save(key: string, agent: AgentName, output: unknown): Promise<void>;
}

export interface RetryPolicy {
  /** Tries in all, the first included (1 = no retry). */
  attempts: number;
  /** Backoff before retry n is a random time up to min(maxMs, baseMs × 2^(n−1)) ("full jitter"). */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({ attempts: 3, baseMs: 200, maxMs: 2_000 });

const TRANSIENT = new Set<number>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED]);
/** Codes with which an agent refuses a request for good: the request (one of its candidates) is the problem. */
const POISON = new Set<number>([status.INTERNAL, status.INVALID_ARGUMENT, status.UNKNOWN]);

/** Resolves after `ms`, or rejects at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A verified statistic in the public JSON shape (the reference system's, plus `verification`). */
export interface Statistic {
  name: string;
  value: number;
  unit: string;
  source: string;
  source_url: string;
  excerpt: string;
  verified: boolean;
  date_found: string;
  period?: string;
  /** True when another independent source (another publisher) states the same value and unit. */
  corroborated: boolean;
  /** URLs of the other sources that state it. */
  corroborated_by: string[];
  verification: {
    status: 'verified' | 'failed';
    reason: string;
    message: string;
    excerpt_start: number | null;
    excerpt_end: number | null;
    text_sha256: string;
    fetched_at: string;
    verifier: string;
  };
}

export interface OrchestrateResult {
  topic: string;
  statistics: Statistic[];
  total_candidates: number;
  verified_count: number;
  failed_count: number;
  timestamp: string;
  partial: boolean;
  target_count: number;
  rounds: number;
  stop_reason: StopReason;
  failed: Statistic[];
}

export function toStatistic(r: VerificationResult__Output, foundAt: string): Statistic {
  const c: CandidateStatistic__Output | null = r.candidate;
  return {
    name: c?.name ?? '',
    value: c?.value ?? 0,
    unit: c?.unit ?? '',
    source: c?.source ?? '',
    source_url: c?.source_url ?? '',
    excerpt: c?.excerpt ?? '',
    verified: r.verified,
    date_found: foundAt,
    ...(c?.period ? { period: c.period } : {}),
    corroborated: false,
    corroborated_by: [],
    verification: {
      status: r.verified ? 'verified' : 'failed',
      reason: r.reason,
      message: r.message,
      excerpt_start: r.excerpt_start ?? null,
      excerpt_end: r.excerpt_end ?? null,
      text_sha256: r.text_sha256,
      fetched_at: r.fetched_at,
      verifier: r.verifier_id,
    },
  };
}

export interface VerifyResult {
  results: Array<{ statistic: Statistic; verified: boolean; reason: string }>;
  verified_count: number;
  failed_count: number;
}

/** `POST /v1/verify`: the verification agent judges caller-supplied candidates in one batch. */
export async function verifyCandidates(candidates: CandidateStatistic[], agents: Agents, s: Omit<WorkflowSettings, 'maxRounds' | 'sourcesPerRound'>): Promise<VerifyResult> {
  const timeoutMs = Math.min(s.timeouts.verification, s.deadline - Date.now());
  if (timeoutMs <= 0) throw new HttpError(504, 'request_timeout', 'the request ran out of time');
  let verdicts: VerifyResponse__Output;
  try {
    verdicts = await agents.verify({ candidates }, { timeoutMs, requestId: s.requestId, ...(s.signal ? { signal: s.signal } : {}) });
  } catch (err) {
    throw agentFailure('verification', err);
  }
  const now = new Date().toISOString();
  const results = verdicts.results.map((r) => ({ statistic: toStatistic(r, now), verified: r.verified, reason: r.reason }));
  const verified = results.filter((r) => r.verified).length;
  return { results, verified_count: verified, failed_count: results.length - verified };
}

/** Most candidates in one Verify call (stats.verification.v1 VerifyRequest allows 200). */
export const VERIFY_BATCH = 200;

/**
 * Marks statistics whose value and unit are also stated by another independent source. Sources
 * are independent when their publishers differ (the `source` name, else the URL's host).
 */
export function markCorroborated(stats: Statistic[]): void {
  const publisher = (s: Statistic): string => s.source.trim().toLowerCase() || new URL(s.source_url).host;
  const groups = new Map<string, Statistic[]>();
  for (const s of stats) {
    const key = `${s.value}\u0000${s.unit.toLowerCase()}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const group of groups.values()) {
    for (const s of group) {
      const others = group.filter((o) => publisher(o) !== publisher(s));
      s.corroborated = others.length > 0;
      s.corroborated_by = [...new Set(others.map((o) => o.source_url))];
    }
  }
}

const candidateKey = (c: CandidateStatistic): string => `${c.source_url}\u0000${c.excerpt}\u0000${c.value}\u0000${c.unit}`;

/** The verdict of a candidate the verification agent could not judge even alone. */
function poisonVerdict(candidate: CandidateStatistic__Output, err: HttpError): VerificationResult__Output {
  return {
    candidate,
    verified: false,
    reason: 'verification_failed',
    message: `${err.message}; the candidate was set aside as a dead letter`,
    text_sha256: '',
    fetched_at: new Date().toISOString(),
    verifier_id: '',
  };
}

/** A round or the whole request ran out of time while an agent call was under way or about to start. */
class OutOfTime extends Error {
  constructor(readonly which: 'round_deadline' | 'deadline') {
    super(which);
  }
}

/**
 * research → synthesis → verification, round after round with the next sources, until
 * `min_verified_stats` are verified, `max_candidates` have been judged, the sources run out or
 * the round limit is reached. Every call has a deadline no later than its round's and the
 * request's. A round that runs out of time is abandoned and the loop stops with what earlier
 * rounds verified (`partial`, `stop_reason`); running out of time before any round finished is a
 * 504, as is an agent that times out on its own shorter timeout.
 */
export async function orchestrate(input: OrchestrateInput, agents: Agents, s: WorkflowSettings): Promise<OrchestrateResult> {
  let roundDeadline = Infinity;
  const retry = s.retry ?? DEFAULT_RETRY;
  /**
   * One agent call with its deadline, retried while transient; every try carries the same
   * idempotency key (run, round, stage, part), so an agent that did answer a lost try answers
   * the retry from memory.
   */
  const call = async <T>(agent: AgentName, key: string, fn: (cs: CallSettings) => Promise<T>): Promise<T> => {
    const stored = await s.steps?.load(key);
    if (stored !== undefined) return stored as T;
    const output = await callAgent(agent, key, fn);
    await s.steps?.save(key, agent, output);
    return output;
  };
  const callAgent = async <T>(agent: AgentName, key: string, fn: (cs: CallSettings) => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      const now = Date.now();
      const end = Math.min(s.deadline, roundDeadline);
      const which = end === s.deadline ? 'deadline' : 'round_deadline';
      if (end - now <= 0) throw new OutOfTime(which);
      const timeoutMs = Math.min(s.timeouts[agent], end - now);
      try {
        return await fn({ timeoutMs, requestId: s.requestId, idempotencyKey: `${s.requestId}:${key}`, ...(s.signal ? { signal: s.signal } : {}) });
      } catch (err) {
        const failure = agentFailure(agent, err);
        // A deadline that was the round's or the request's (not the agent's own) ends the loop quietly.
        if (failure.status === 504 && timeoutMs < s.timeouts[agent] && Date.now() >= end - 5) throw new OutOfTime(which);
        const code = isGrpcCallError(err) ? err.code : undefined;
        if (code === undefined || !TRANSIENT.has(code) || attempt >= retry.attempts || s.signal?.aborted) throw failure;
        const delayMs = Math.round(Math.random() * Math.min(retry.maxMs, retry.baseMs * 2 ** (attempt - 1)));
        if (Date.now() + delayMs >= end) throw failure;
        s.onRetry?.({ agent, attempt, code: statusName(code), delayMs });
        await sleep(delayMs, s.signal).catch(() => {
          throw failure;
        });
      }
    }
  };

  const seen = new Set<string>();
  const verified: Statistic[] = [];
  const failed: Statistic[] = [];
  let judged = 0;
  let rounds = 0;
  let offset = 0;
  // Reputable sources first (workflow 1.1.0): then every source from the top, skipping those read.
  let reputablePhase = s.reputableFirst === true && !input.reputable_only;
  const read = new Set<string>();
  let sourcesRead = 0;
  let stop: StopReason = 'max_rounds';
  const report = (stage: Progress['stage'], extra: Partial<Progress> = {}): void => {
    s.onProgress?.({ stage, round: rounds, sources: sourcesRead, candidates: judged, verified: verified.length, failed: failed.length, ...extra });
  };
  try {
    while (rounds < s.maxRounds) {
      if (verified.length >= input.min_verified_stats) {
        stop = 'target_reached';
        break;
      }
      if (judged >= input.max_candidates) {
        stop = 'max_candidates';
        break;
      }
      rounds++;
      roundDeadline = s.roundTimeoutMs ? Date.now() + s.roundTimeoutMs : Infinity;
      const search = async (reputable: boolean, part: string): Promise<SearchResponse__Output> =>
        call('research', `${rounds}:research${part}`, (cs) =>
          agents.search({ topic: input.topic, limit: s.sourcesPerRound, offset, reputable_only: reputable }, cs),
        );
      // Up to a few searches a round: past the end of the reputable sources, and past sources already read.
      let found: SearchResponse__Output = { sources: [], total: 0, provider: '' };
      let sources: SearchResponse__Output['sources'] = [];
      for (let page = 0; page < 5 && sources.length === 0; page++) {
        found = await search(input.reputable_only || reputablePhase, page === 0 ? '' : `:${page}`);
        const endOfReputable = found.sources.length === 0 || (found.total > 0 && offset + found.sources.length >= found.total);
        offset += found.sources.length;
        sources = found.sources.filter((src) => !read.has(src.url));
        if (reputablePhase && endOfReputable) {
          reputablePhase = false;
          offset = 0;
          if (sources.length === 0) continue;
        }
        if (found.sources.length === 0 || (found.total > 0 && offset >= found.total)) break;
      }
      for (const src of sources) read.add(src.url);
      if (sources.length === 0) {
        stop = 'sources_exhausted';
        break;
      }
      report('research', { sources: sourcesRead + sources.length });
      const extracted = await call('synthesis', `${rounds}:synthesis`, (cs) =>
        agents.extract({ topic: input.topic, sources, max_candidates: input.max_candidates - judged }, cs),
      );
      sourcesRead += sources.length;
      const fresh = extracted.candidates.filter((c) => {
        // With `since`, a statistic whose period is unknown is left out: not known to be recent.
        if (input.since !== undefined && (periodYear(c.period) ?? 0) < input.since) return false;
        const k = candidateKey(c);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      const batch = fresh.slice(0, input.max_candidates - judged);
      report('synthesis', { candidates: judged + batch.length });
      await s.onItems?.({ round: rounds, stage: 'extracted', candidates: batch });
      if (batch.length > 0) {
        // The verification contract takes at most VERIFY_BATCH candidates per call.
        const chunks = Array.from({ length: Math.ceil(batch.length / VERIFY_BATCH) }, (_, i) => batch.slice(i * VERIFY_BATCH, (i + 1) * VERIFY_BATCH));
        const round = rounds;
        /**
         * A chunk the verifier refuses for good (INTERNAL, INVALID_ARGUMENT: one poison candidate
         * can do that) is split in halves and each half tried on its own, down to single
         * candidates; a candidate that fails alone is judged `verification_failed` and reported as
         * poison (a dead letter), and the others go on.
         */
        const verifyChunk = async (candidates: CandidateStatistic__Output[], key: string): Promise<VerificationResult__Output[]> => {
          try {
            return (await call('verification', key, (cs) => agents.verify({ candidates }, cs))).results;
          } catch (err) {
            const cause = err instanceof HttpError ? err.cause : undefined;
            if (!isGrpcCallError(cause) || !POISON.has(cause.code)) throw err;
            if (candidates.length === 1) {
              const candidate = candidates[0] as CandidateStatistic__Output;
              await s.onPoison?.({ round, key, candidate, error: err as HttpError });
              return [poisonVerdict(candidate, err as HttpError)];
            }
            const half = Math.ceil(candidates.length / 2);
            return [...(await verifyChunk(candidates.slice(0, half), `${key}a`)), ...(await verifyChunk(candidates.slice(half), `${key}b`))];
          }
        };
        const verdicts = await mapWithConcurrency(chunks, 2, async (candidates, i) => ({
          results: await verifyChunk(candidates, `${rounds}:verification:${i}`),
        }));
        const now = new Date().toISOString();
        const results = verdicts.flatMap((v) => v.results);
        for (const r of results) (r.verified ? verified : failed).push(toStatistic(r, now));
        await s.onItems?.({ round: rounds, stage: 'judged', results });
        judged += batch.length;
      }
      report('verification');
      if (!reputablePhase && found.total > 0 && offset >= found.total) {
        stop = verified.length >= input.min_verified_stats ? 'target_reached' : 'sources_exhausted';
        break;
      }
      if (rounds >= s.maxRounds) {
        stop = verified.length >= input.min_verified_stats ? 'target_reached' : judged >= input.max_candidates ? 'max_candidates' : 'max_rounds';
      }
    }
  } catch (err) {
    if (!(err instanceof OutOfTime)) throw err;
    // Nothing finished: the client gets a timeout, not an empty success.
    if (rounds <= 1 && verified.length === 0 && failed.length === 0) {
      throw new HttpError(504, 'request_timeout', err.which === 'deadline' ? 'the request ran out of time' : 'the first round ran out of time');
    }
    stop = err.which;
  }
  markCorroborated(verified);
  report('done', { stop_reason: stop });
  return {
    topic: input.topic,
    statistics: verified,
    total_candidates: judged,
    verified_count: verified.length,
    failed_count: failed.length,
    timestamp: new Date().toISOString(),
    partial: verified.length < input.min_verified_stats,
    target_count: input.min_verified_stats,
    rounds,
    stop_reason: stop,
    failed,
  };
}
