import { randomUUID } from 'node:crypto';
import { HttpError } from './errors.js';
import type { OrchestrateInput, OrchestrateResult, Progress } from './workflow.js';
import type { WorkflowVersion } from './workflows.js';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One entry of a run's event log, as streamed by `GET /v1/runs/{id}/events`. */
export type RunEvent =
  | { seq: number; at: string; type: 'progress'; data: Progress }
  | { seq: number; at: string; type: 'done'; data: { status: RunStatus; verified: number; stop_reason?: string } }
  | { seq: number; at: string; type: 'error'; data: { status: RunStatus; code: string; message: string } };

/** The public shape of a finished orchestration: the reference system's, plus corroboration and `stop_reason`. */
export type PublicResult = Omit<OrchestrateResult, 'failed' | 'rounds'>;

export function publicResult(result: OrchestrateResult): PublicResult {
  const { failed: _failed, rounds: _rounds, ...rest } = result;
  return rest;
}

export interface Run {
  id: string;
  /** The principal that created it; only it can see the run. */
  owner: string;
  status: RunStatus;
  input: RunInput;
  created_at: string;
  updated_at: string;
  progress: Progress | null;
  result: PublicResult | null;
  error: { code: string; message: string } | null;
  events: RunEvent[];
}

/** What runs execute: the quality loop with a progress callback, cancelled through the signal. */
export type RunInput = OrchestrateInput & { workflow_version?: WorkflowVersion | undefined };

export type Execute = (input: RunInput, run: { id: string; signal: AbortSignal; onProgress: (p: Progress) => void }) => Promise<OrchestrateResult>;

export interface RunRegistryOptions {
  execute: Execute;
  /** Runs executing at once; one more is refused with 503 rather than queued without bound. */
  maxActive: number;
  /** Runs kept in memory, finished ones evicted oldest first. */
  maxKept: number;
  /** How long a finished run stays readable. */
  ttlMs: number;
  /** Listeners (event streams) per run. */
  maxListenersPerRun?: number;
}

const MAX_EVENTS_PER_RUN = 1_000;
type Listener = (e: RunEvent) => void;

/**
 * Asynchronous runs of the quality loop, kept in memory: bounded in how many run at once, how
 * many are kept and for how long, and how many streams may follow each. The durable store
 * (issue 5) replaces this class behind the same methods.
 */
export class RunRegistry {
  private readonly runs = new Map<string, Run>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly active = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly opts: RunRegistryOptions) {}

  /** Starts a run and returns it at once. Throws HttpError 503 when `maxActive` runs are executing or the registry is closed. */
  create(owner: string, input: RunInput): Run {
    if (this.closed) throw new HttpError(503, 'shutting_down', 'the orchestrator is shutting down');
    if (this.controllers.size >= this.opts.maxActive) throw new HttpError(503, 'busy', 'too many runs in progress; try again shortly');
    this.evict();
    if (this.runs.size >= this.opts.maxKept) throw new HttpError(503, 'busy', 'too many runs kept; try again shortly');
    const now = new Date().toISOString();
    const run: Run = {
      id: `run_${randomUUID()}`,
      owner,
      status: 'running',
      input,
      created_at: now,
      updated_at: now,
      progress: null,
      result: null,
      error: null,
      events: [],
    };
    this.runs.set(run.id, run);
    const controller = new AbortController();
    this.controllers.set(run.id, controller);
    const done = this.execute(run, controller.signal).finally(() => {
      this.controllers.delete(run.id);
      this.active.delete(done);
    });
    this.active.add(done);
    return run;
  }

  private async execute(run: Run, signal: AbortSignal): Promise<void> {
    try {
      const result = await this.opts.execute(run.input, {
        id: run.id,
        signal,
        onProgress: (p) => {
          run.progress = p;
          if (p.stage !== 'done') this.emit(run, { type: 'progress', data: p });
        },
      });
      run.result = publicResult(result);
      run.status = 'succeeded';
      this.emit(run, { type: 'done', data: { status: 'succeeded', verified: result.verified_count, stop_reason: result.stop_reason } });
    } catch (err) {
      run.status = signal.aborted ? 'cancelled' : 'failed';
      run.error =
        err instanceof HttpError && !signal.aborted
          ? { code: err.code, message: err.message }
          : signal.aborted
            ? { code: 'cancelled', message: 'the run was cancelled (the orchestrator stopped)' }
            : { code: 'internal', message: 'the run failed' };
      this.emit(run, { type: 'error', data: { status: run.status, ...run.error } });
    } finally {
      this.listeners.delete(run.id);
    }
  }

  private emit(run: Run, e: Omit<RunEvent, 'seq' | 'at'>): void {
    const at = new Date().toISOString();
    run.updated_at = at;
    const event = { ...e, seq: (run.events.at(-1)?.seq ?? 0) + 1, at } as RunEvent;
    if (run.events.length >= MAX_EVENTS_PER_RUN) run.events.splice(0, 1);
    run.events.push(event);
    for (const l of this.listeners.get(run.id) ?? []) l(event);
  }

  /** The run if it exists, has not expired, and belongs to `owner` (else undefined, so ids of others' runs reveal nothing). */
  get(id: string, owner: string): Run | undefined {
    const run = this.runs.get(id);
    if (!run || run.owner !== owner || this.expired(run)) return undefined;
    return run;
  }

  /** The owner's runs, newest first. */
  list(owner: string, limit: number): Run[] {
    return [...this.runs.values()].filter((r) => r.owner === owner && !this.expired(r)).reverse().slice(0, limit);
  }

  /**
   * Calls `listener` with each event after `afterSeq` already logged, then with each new one until
   * the run ends. Returns undefined when the run has already ended (the replay is all there is),
   * else a function that unsubscribes. Throws HttpError 503 past the per-run listener bound.
   */
  follow(run: Run, afterSeq: number, listener: Listener): (() => void) | undefined {
    for (const e of run.events) if (e.seq > afterSeq) listener(e);
    if (run.status !== 'running') return undefined;
    const set = this.listeners.get(run.id) ?? new Set<Listener>();
    if (set.size >= (this.opts.maxListenersPerRun ?? 16)) throw new HttpError(503, 'busy', 'too many streams follow this run');
    set.add(listener);
    this.listeners.set(run.id, set);
    return () => set.delete(listener);
  }

  get activeCount(): number {
    return this.controllers.size;
  }

  /**
   * Refuses new runs, waits up to `graceMs` for running ones to finish, then cancels the rest and
   * waits for them to settle.
   */
  async drain(graceMs: number): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled([...this.active]), grace]);
    clearTimeout(timer);
    for (const c of this.controllers.values()) c.abort(new Error('orchestrator shutting down'));
    await Promise.allSettled([...this.active]);
  }

  private expired(run: Run): boolean {
    return run.status !== 'running' && Date.parse(run.updated_at) + this.opts.ttlMs < Date.now();
  }

  private evict(): void {
    for (const [id, run] of this.runs) if (this.expired(run)) this.runs.delete(id);
    if (this.runs.size < this.opts.maxKept) return;
    for (const [id, run] of this.runs) {
      if (run.status === 'running') continue;
      this.runs.delete(id);
      if (this.runs.size < this.opts.maxKept) return;
    }
  }
}
