import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AuditEvent } from '@stats-agent/audit';
import type { Logger } from '@stats-agent/logging';
import type { CandidateStatistic__Output } from '@stats-agent/proto';
import type { RunStore, Run as StoredRun, RunEvent as StoredEvent, Stage } from '@stats-agent/store';
import { HttpError, type AgentName } from './errors.js';
import type { OrchestrateInput, OrchestrateResult, Progress, StepStore, WorkflowSettings } from './workflow.js';
import type { WorkflowVersion } from './workflows.js';

export type RunStatus = StoredRun['status'];
export type RunInput = OrchestrateInput & { workflow_version?: WorkflowVersion | undefined };

/** One entry of a run's event log, as streamed by `GET /v1/runs/{id}/events`. */
export interface RunEvent {
  seq: number;
  at: string;
  type: 'progress' | 'done' | 'error';
  data: Record<string, unknown>;
}

/** The public shape of a finished orchestration: the reference system's, plus corroboration, `stop_reason` and `workflow_version`. */
export type PublicResult = Omit<OrchestrateResult, 'failed' | 'rounds'>;

export function publicResult(result: OrchestrateResult): PublicResult {
  const { failed: _failed, rounds: _rounds, ...rest } = result;
  return rest;
}

/** A run as the API shows it. */
export interface Run {
  id: string;
  owner: string;
  status: RunStatus;
  workflow_version: string;
  input: RunInput;
  created_at: string;
  updated_at: string;
  attempts: number;
  progress: Progress | null;
  result: PublicResult | null;
  error: { code: string; message: string } | null;
}

/** What a run executes: the quality loop of its workflow version, with the run's hooks. */
export type Execute = (
  input: RunInput,
  version: WorkflowVersion,
  hooks: Pick<WorkflowSettings, 'onProgress' | 'steps' | 'onItems' | 'onPoison'> & { runId: string; signal: AbortSignal },
) => Promise<OrchestrateResult>;

export interface RunServiceOptions {
  store: RunStore;
  execute: Execute;
  logger: Logger;
  /** This process, as the holder of the leases of the runs it executes. */
  instanceId: string;
  defaultVersion: WorkflowVersion;
  /** Runs executing in this process at once; one more is refused with 503, never queued without bound. */
  maxActive: number;
  /** How long a run's lease lasts without renewal (renewed every third of it): the longest a dead worker's run waits to be resumed. */
  leaseMs: number;
  /** How often this process looks for runs to resume (a dead worker's, or given back on shutdown). */
  sweepMs: number;
  /** A run started this many times without finishing goes to the dead-letter queue. */
  maxAttempts: number;
  /** Streams following runs at once (all runs). */
  maxFollowers?: number;
  /** How often a stream polls the store for a run another process executes. */
  pollMs?: number;
  audit?: (e: AuditEvent) => void;
}

const TRANSIENT_CODES = new Set(['agent_unavailable', 'agent_timeout', 'agent_busy', 'request_timeout']);

/** The item key of a candidate in the store: a hash of what makes it the same candidate (see the workflow's merge). */
export function itemKey(c: CandidateStatistic__Output): string {
  return createHash('sha256').update(`${c.source_url}\u0000${c.excerpt}\u0000${c.value}\u0000${c.unit}`).digest('base64url');
}

function stageOf(key: string): Stage {
  const stage = key.split(':')[1];
  return stage === 'research' || stage === 'synthesis' || stage === 'verification' ? stage : 'verification';
}

function toView(r: StoredRun): Run {
  return {
    id: r.id,
    owner: r.owner,
    status: r.status,
    workflow_version: r.workflowVersion,
    input: r.input as RunInput,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    attempts: r.attempts,
    progress: (r.progress as Progress | null) ?? null,
    result: (r.result as PublicResult | null) ?? null,
    error: (r.error as { code: string; message: string } | null) ?? null,
  };
}

function toEvent(e: StoredEvent): RunEvent {
  return { seq: e.seq, at: e.at, type: e.type as RunEvent['type'], data: (e.data ?? {}) as Record<string, unknown> };
}

const FINAL: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled', 'dead']);

/**
 * Durable asynchronous runs: every run, its steps (each finished agent call), its items (each
 * candidate: pending → processing → verified | failed) and its progress events live in the run
 * store, so a run survives its process. A run executes under a lease that this process renews;
 * when the process dies (SIGKILL, OOM), the lease runs out and the next sweep — here or in
 * another replica — claims the run and executes it again, replaying finished steps from the
 * store instead of calling the agents, so it goes on from the first unfinished step and ends
 * with the result an uninterrupted run gives. On SIGTERM running runs are given back at once.
 * A run that keeps failing (its worker dies, or its agents stay unavailable) is dead-lettered
 * after `maxAttempts`; a candidate the verifier fails on alone is dead-lettered and the run goes on.
 */
export class RunService {
  private readonly local = new Map<string, { controller: AbortController; done: Promise<void>; leaseTimer?: NodeJS.Timeout }>();
  private readonly bus = new EventEmitter();
  private readonly eventChains = new Map<string, Promise<void>>();
  private followers = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping = false;
  private closed = false;

  constructor(private readonly opts: RunServiceOptions) {
    this.bus.setMaxListeners(0);
  }

  /** Starts looking for runs to resume (at once, then every `sweepMs`). */
  start(): void {
    const tick = (): void => {
      void this.sweep().finally(() => {
        if (!this.closed) this.sweeper = setTimeout(tick, this.opts.sweepMs).unref();
      });
    };
    tick();
  }

  get activeCount(): number {
    return this.local.size;
  }

  /** Creates a run owned by `owner` and starts it here. HttpError 503 when this process runs `maxActive` already or is stopping. */
  async create(owner: string, input: RunInput, meta: { requestId?: string; sourceIp?: string } = {}): Promise<Run> {
    if (this.closed) throw new HttpError(503, 'shutting_down', 'the orchestrator is shutting down');
    if (this.local.size >= this.opts.maxActive) throw new HttpError(503, 'busy', 'too many runs in progress; try again shortly');
    const version = input.workflow_version ?? this.opts.defaultVersion;
    const stored = await this.opts.store.createRun({
      owner,
      workflowVersion: version,
      input: { ...input, workflow_version: version },
      lease: { owner: this.opts.instanceId, ms: this.opts.leaseMs },
    });
    this.audit('run.created', stored, 'success', meta);
    this.execute(stored, true);
    return toView(stored);
  }

  async get(id: string, owner: string): Promise<Run | undefined> {
    const r = await this.opts.store.getRun(id, owner);
    return r === null ? undefined : toView(r);
  }

  async list(owner: string, limit: number): Promise<Run[]> {
    return (await this.opts.store.listRuns(owner, { limit })).map(toView);
  }

  /**
   * Calls `listener` with each event after `afterSeq`, then with each new one until the run ends
   * (`done` or `error`). Resolves with undefined when the run had already ended (the replay is
   * all there is), else with a function that stops following. HttpError 503 past `maxFollowers`.
   */
  async follow(run: Run, afterSeq: number, listener: (e: RunEvent) => void): Promise<(() => void) | undefined> {
    let last = afterSeq;
    let ended = false;
    const drainEvents = async (): Promise<void> => {
      for (;;) {
        const batch = await this.opts.store.eventsAfter(run.id, last, { limit: 500 });
        for (const e of batch) {
          last = e.seq;
          listener(toEvent(e));
          if (e.type !== 'progress') ended = true;
        }
        if (batch.length < 500) return;
      }
    };
    await drainEvents();
    if (ended || FINAL.has(run.status)) {
      // The run ended: make sure its last event was delivered (it is written just after the status).
      if (!ended) await drainEvents();
      return undefined;
    }
    if (this.followers >= (this.opts.maxFollowers ?? 256)) throw new HttpError(503, 'busy', 'too many event streams open');
    this.followers++;
    let stopped = false;
    let busy: Promise<void> = Promise.resolve();
    const pull = (): void => {
      busy = busy.then(async () => {
        if (stopped || ended) return;
        await drainEvents().catch((err: unknown) => this.opts.logger.warn({ err, run_id: run.id }, 'event stream: store read failed'));
        if (ended) stop();
      });
    };
    const onLocal = (): void => pull();
    this.bus.on(run.id, onLocal);
    // Runs executing in another process are seen by polling.
    const timer = setInterval(pull, this.opts.pollMs ?? 500);
    timer.unref();
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      this.followers--;
      clearInterval(timer);
      this.bus.off(run.id, onLocal);
    };
    pull();
    return stop;
  }

  /** Refuses new runs, waits up to `graceMs` for running ones, then gives the rest back to the store (queued) for the next start. */
  async drain(graceMs: number): Promise<void> {
    this.closed = true;
    clearTimeout(this.sweeper);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled([...this.local.values()].map((l) => l.done)), grace]);
    clearTimeout(timer);
    for (const l of this.local.values()) l.controller.abort(new ShuttingDown());
    await Promise.allSettled([...this.local.values()].map((l) => l.done));
  }

  private async sweep(): Promise<void> {
    if (this.closed || this.sweeping) return;
    const room = this.opts.maxActive - this.local.size;
    if (room <= 0) return;
    this.sweeping = true;
    try {
      const { claimed, dead } = await this.opts.store.claimResumable(this.opts.instanceId, this.opts.leaseMs, { limit: room, maxAttempts: this.opts.maxAttempts });
      for (const run of dead) {
        this.opts.logger.warn({ run_id: run.id, attempts: run.attempts }, 'run dead-lettered: started too often without finishing');
        await this.event(run.id, 'error', { status: 'dead', code: 'dead_lettered', message: 'the run kept failing and was set aside for an operator' });
        this.audit('dlq.dead_lettered', run, 'failure', {}, { reason: 'attempts_exhausted' });
      }
      for (const run of claimed) {
        this.opts.logger.info({ run_id: run.id, attempts: run.attempts }, run.attempts > 1 ? 'run resumed' : 'run started');
        if (run.attempts > 1) this.audit('run.resumed', run, 'success', {}, { attempt: run.attempts });
        this.execute(run);
      }
    } catch (err) {
      this.opts.logger.warn({ err }, 'run sweep failed; trying again');
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * Appends a run event. The events of one run are written one after another, in the order they
   * were emitted (progress is not awaited by the workflow, so without this a late `progress`
   * could land after `done`).
   */
  private event(runId: string, type: RunEvent['type'], data: Record<string, unknown>): Promise<void> {
    const previous = this.eventChains.get(runId) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        await this.opts.store.appendEvent(runId, type, data);
      } catch (err) {
        this.opts.logger.warn({ err, run_id: runId, type }, 'could not record a run event');
      }
      this.bus.emit(runId);
    });
    this.eventChains.set(runId, next);
    void next.then(() => {
      if (this.eventChains.get(runId) === next) this.eventChains.delete(runId);
    });
    return next;
  }

  private execute(run: StoredRun, fresh = false): void {
    const controller = new AbortController();
    const entry: { controller: AbortController; done: Promise<void>; leaseTimer?: NodeJS.Timeout } = { controller, done: Promise.resolve() };
    this.local.set(run.id, entry);
    entry.done = this.executeRun(run, entry, fresh).finally(() => {
      this.local.delete(run.id);
      this.bus.emit(run.id);
    });
  }

  private async executeRun(run: StoredRun, entry: { controller: AbortController; leaseTimer?: NodeJS.Timeout }, fresh: boolean): Promise<void> {
    const { store, logger } = this.opts;
    const { controller } = entry;
    const leaseTimer = setInterval(() => {
      store.renewLease(run.id, this.opts.instanceId, this.opts.leaseMs).then(
        (held) => {
          if (!held) controller.abort(new LeaseLost());
        },
        (err: unknown) => logger.warn({ err, run_id: run.id }, 'lease renewal failed'),
      );
    }, Math.max(100, Math.floor(this.opts.leaseMs / 3)));
    leaseTimer.unref();
    entry.leaseTimer = leaseTimer;
    // Progress already recorded by an earlier attempt is not recorded again when replayed.
    const recorded = new Set(
      (fresh ? [] : await store.eventsAfter(run.id, 0, { limit: 10_000 }).catch(() => []))
        .filter((e) => e.type === 'progress')
        .map((e) => {
          const d = e.data as Progress;
          return `${d.round}:${d.stage}`;
        }),
    );
    // The steps an earlier attempt finished, read once (a run just created here has none).
    const finished = new Map<string, unknown>();
    if (!fresh) {
      for (const step of await store.completedSteps(run.id)) finished.set(step.idempotencyKey, step.output ?? undefined);
    }
    const steps: StepStore = {
      load: async (key) => finished.get(`${run.id}:${key}`),
      save: async (key, _agent: AgentName, output) => {
        await store.completeStep(run.id, Number(key.split(':')[0]), stageOf(key), `${run.id}:${key}`, output);
      },
    };
    const version = (run.workflowVersion as WorkflowVersion) ?? this.opts.defaultVersion;
    try {
      const result = await this.opts.execute(run.input as RunInput, version, {
        runId: run.id,
        signal: controller.signal,
        steps,
        onProgress: (p) => {
          if (p.stage === 'done' || recorded.has(`${p.round}:${p.stage}`)) return;
          recorded.add(`${p.round}:${p.stage}`);
          void this.event(run.id, 'progress', { ...p });
        },
        onItems: async (e) => {
          if (e.stage === 'extracted') {
            const items = e.candidates.map((c) => ({ key: itemKey(c), candidate: c }));
            for (let i = 0; i < items.length; i += 1000) await store.upsertItems(run.id, e.round, items.slice(i, i + 1000), { processing: true });
          } else {
            const updates = e.results.flatMap((r) =>
              r.candidate ? [{ key: itemKey(r.candidate), status: r.verified ? ('verified' as const) : ('failed' as const), reason: r.reason, verdict: r }] : [],
            );
            for (let i = 0; i < updates.length; i += 1000) await store.markItems(run.id, updates.slice(i, i + 1000));
          }
        },
        onPoison: async (e) => {
          const key = itemKey(e.candidate);
          await store.upsertItems(run.id, e.round, [{ key, candidate: e.candidate }]);
          await store.deadLetter({ kind: 'item', runId: run.id, itemKey: key, lastError: e.error.message, context: { stage: 'verification', round: e.round, step: e.key, code: e.error.code } });
          this.audit('dlq.dead_lettered', run, 'failure', {}, { reason: 'verification_failed' });
        },
      });
      const finished = await store.finishRun(run.id, 'succeeded', { result: publicResult(result), leaseOwner: this.opts.instanceId });
      if (finished === null) return; // the lease was lost: another worker owns the run now
      await this.event(run.id, 'done', { status: 'succeeded', verified: result.verified_count, stop_reason: result.stop_reason });
      this.audit('run.finished', run, 'success', {}, { verified: result.verified_count });
    } catch (err) {
      await this.failed(run, controller, err);
    } finally {
      clearInterval(leaseTimer);
    }
  }

  private async failed(run: StoredRun, controller: AbortController, err: unknown): Promise<void> {
    const { store, logger } = this.opts;
    const reason: unknown = controller.signal.reason;
    if (reason instanceof LeaseLost) {
      logger.warn({ run_id: run.id }, 'run lease lost; another worker has it');
      return;
    }
    if (reason instanceof ShuttingDown) {
      // Given back at once, so the next start (or another replica) resumes it without waiting for the lease.
      await store.requeueRun(run.id, this.opts.instanceId, { code: 'interrupted', message: 'the orchestrator stopped' }).catch(() => false);
      logger.info({ run_id: run.id }, 'run given back for the next start');
      return;
    }
    const error = err instanceof HttpError ? { code: err.code, message: err.message } : { code: 'internal', message: 'the run failed' };
    if (!(err instanceof HttpError)) logger.error({ err, run_id: run.id }, 'run failed');
    if (TRANSIENT_CODES.has(error.code)) {
      if (run.attempts < this.opts.maxAttempts) {
        // An agent stayed unavailable through the call's retries: the run is tried again later, from where it stopped.
        logger.warn({ run_id: run.id, code: error.code, attempts: run.attempts }, 'run failed for now; queued to try again');
        await store.requeueRun(run.id, this.opts.instanceId, error).catch(() => false);
        return;
      }
      await store.deadLetter({ kind: 'run', runId: run.id, lastError: error.message, context: { code: error.code, attempts: run.attempts } });
      await this.event(run.id, 'error', { status: 'dead', ...error });
      this.audit('dlq.dead_lettered', run, 'failure', {}, { reason: error.code });
      return;
    }
    await store.finishRun(run.id, 'failed', { error, leaseOwner: this.opts.instanceId });
    await this.event(run.id, 'error', { status: 'failed', ...error });
    this.audit('run.finished', run, 'failure', {}, { code: error.code });
  }

  private audit(action: AuditEvent['action'], run: StoredRun, outcome: AuditEvent['outcome'], meta: { requestId?: string; sourceIp?: string }, detail?: Record<string, string | number>): void {
    if (!this.opts.audit) return;
    const [kind, ...rest] = run.owner.split(':');
    const actorKind = kind === 'api_key' || kind === 'jwt' ? kind : 'anonymous';
    this.opts.audit({
      actor: { kind: actorKind, id: actorKind === 'anonymous' ? run.owner : rest.join(':') },
      action,
      resource: `run:${run.id}`,
      outcome,
      ...(meta.requestId ? { request_id: meta.requestId } : {}),
      ...(meta.sourceIp ? { source_ip: meta.sourceIp } : {}),
      ...(detail ? { detail } : {}),
    });
  }
}

class ShuttingDown extends Error {
  constructor() {
    super('orchestrator shutting down');
  }
}

class LeaseLost extends Error {
  constructor() {
    super('run lease lost');
  }
}
