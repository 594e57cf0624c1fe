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
import type { CallSettings } from '@stats-agent/rpc';
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

export interface WorkflowSettings {
  requestId: string;
  signal?: AbortSignal;
  timeouts: Record<AgentName, number>;
  /** Absolute end of the whole request (ms since epoch). */
  deadline: number;
  maxRounds: number;
  sourcesPerRound: number;
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

/**
 * research → synthesis → verification, round after round with the next sources, until
 * `min_verified_stats` are verified, `max_candidates` have been judged, the sources run out or
 * the round limit is reached. Every call has a deadline no later than the request's own.
 */
export async function orchestrate(input: OrchestrateInput, agents: Agents, s: WorkflowSettings): Promise<OrchestrateResult> {
  const settings = (agent: AgentName): CallSettings => {
    const left = s.deadline - Date.now();
    if (left <= 0) throw new HttpError(504, 'request_timeout', 'the request ran out of time');
    return { timeoutMs: Math.min(s.timeouts[agent], left), requestId: s.requestId, ...(s.signal ? { signal: s.signal } : {}) };
  };
  const call = async <T>(agent: AgentName, fn: (cs: CallSettings) => Promise<T>): Promise<T> => {
    const cs = settings(agent);
    try {
      return await fn(cs);
    } catch (err) {
      throw agentFailure(agent, err);
    }
  };

  const seen = new Set<string>();
  const verified: Statistic[] = [];
  const failed: Statistic[] = [];
  let judged = 0;
  let rounds = 0;
  let offset = 0;
  while (rounds < s.maxRounds && verified.length < input.min_verified_stats && judged < input.max_candidates) {
    rounds++;
    const found = await call('research', (cs) =>
      agents.search({ topic: input.topic, limit: s.sourcesPerRound, offset, reputable_only: input.reputable_only }, cs),
    );
    if (found.sources.length === 0) break;
    offset += found.sources.length;
    const extracted = await call('synthesis', (cs) =>
      agents.extract({ topic: input.topic, sources: found.sources, max_candidates: input.max_candidates - judged }, cs),
    );
    const fresh = extracted.candidates.filter((c) => {
      // With `since`, a statistic whose period is unknown is left out: not known to be recent.
      if (input.since !== undefined && (periodYear(c.period) ?? 0) < input.since) return false;
      const k = candidateKey(c);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    const batch = fresh.slice(0, input.max_candidates - judged);
    if (batch.length > 0) {
      // The verification contract takes at most VERIFY_BATCH candidates per call.
      const chunks = Array.from({ length: Math.ceil(batch.length / VERIFY_BATCH) }, (_, i) => batch.slice(i * VERIFY_BATCH, (i + 1) * VERIFY_BATCH));
      const verdicts = await mapWithConcurrency(chunks, 2, (candidates) => call('verification', (cs) => agents.verify({ candidates }, cs)));
      const now = new Date().toISOString();
      for (const r of verdicts.flatMap((v) => v.results)) (r.verified ? verified : failed).push(toStatistic(r, now));
      judged += batch.length;
    }
    if (found.total > 0 && offset >= found.total) break;
  }
  markCorroborated(verified);
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
    failed,
  };
}
