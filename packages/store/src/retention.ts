import type { StoreLogger } from './driver.js';
import { retentionCutoff } from './config.js';
import type { DeletedCounts, RunStore } from './store.js';

export interface RetentionOptions {
  /** `RUN_RETENTION_DAYS`: finished runs older than this are deleted; 0 turns retention off. */
  days: number;
  /** Time between passes (default one hour); the first pass runs at start. */
  everyMs?: number;
  /** Runs per transaction (default 500). */
  batch?: number;
  /** Batches per pass at most (default 20): a huge backlog is worked off over several passes. */
  maxBatchesPerPass?: number;
  logger?: StoreLogger;
  /** The clock (tests). */
  now?: () => Date;
}

export interface Retention {
  /** One pass now; resolves with what it deleted. Never runs two passes at once. */
  runOnce(): Promise<DeletedCounts>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

const ZERO: DeletedCounts = { runs: 0, steps: 0, items: 0, events: 0, deadLetters: 0 };

/**
 * Deletes finished runs older than `days` days, at start and then every `everyMs`, in bounded
 * batches, then runs `store.maintain()` (PGlite's vacuum). A failed pass is logged and retried
 * at the next one. The timer does not keep the process alive. With `days` 0 nothing is ever
 * deleted (on PGlite the passes still vacuum).
 */
export function startRetention(store: RunStore, opts: RetentionOptions): Retention {
  const everyMs = opts.everyMs ?? 3_600_000;
  const batch = opts.batch ?? 500;
  const maxBatches = opts.maxBatchesPerPass ?? 20;
  const now = opts.now ?? (() => new Date());
  let running: Promise<DeletedCounts> | undefined;
  let stopped = false;

  const pass = async (): Promise<DeletedCounts> => {
    const total = { ...ZERO };
    const cutoff = retentionCutoff(opts.days, now());
    if (cutoff === null) {
      await store.maintain();
      return total;
    }
    for (let i = 0; i < maxBatches && !stopped; i++) {
      const r = await store.purgeFinishedBefore(cutoff, { limit: batch });
      total.runs += r.runs;
      total.steps += r.steps;
      total.items += r.items;
      total.events += r.events;
      total.deadLetters += r.deadLetters;
      if (!r.more) break;
    }
    if (total.runs > 0) opts.logger?.info({ ...total, before: cutoff.toISOString() }, 'store: retention deleted finished runs');
    await store.maintain();
    return total;
  };
  const runOnce = (): Promise<DeletedCounts> => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };
  const tick = (): void => {
    runOnce().catch((err: unknown) => opts.logger?.warn({ err: { code: (err as { code?: unknown }).code, message: (err as Error).message } }, 'store: retention pass failed; retrying at the next one'));
  };
  // With retention off there is still PGlite's vacuum to do; on a server there is nothing.
  const active = opts.days > 0 || store.kind === 'pglite';
  const timer = active ? setInterval(tick, everyMs) : undefined;
  timer?.unref();
  if (active) tick();
  return {
    runOnce,
    async stop(): Promise<void> {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
