/**
 * The audit log writer: appends hash-chained records to a JSON-lines file, one `write` per
 * record on a file opened for appending, from ONE serial queue (so the file order is the seq
 * order), keeps the head checkpoint beside it, and mirrors every record to an optional sink
 * (the store).
 *
 * One process writes one file: a lock file (`<file>.lock`, holding the pid) refuses a second
 * writer. At start the existing file is verified; a chain that is intact is continued, one that
 * is not (edited, truncated, torn by a crash, written with another key) is left as it is — it is
 * evidence — and a new segment file is started (`audit.jsonl` → `audit.2.jsonl` → …) whose first
 * record, `audit.segment_started`, says why and where the old chain ended.
 */
import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { AuditError } from './errors.js';
import { headPathFor, readHead, writeHead, type AuditHead } from './head.js';
import {
  computeHash,
  GENESIS_HASH,
  normalizeEvent,
  RECORD_VERSION,
  type AuditDetail,
  type AuditEvent,
  type AuditRecord,
  type HashAlg,
} from './record.js';
import { storeRowHash, verifyAudit, type VerifyResult } from './verify.js';

/** Where records are mirrored (the store). Called in seq order, one at a time, with a deadline. */
export interface AuditSink {
  append(record: AuditRecord): Promise<void>;
}

/** What `storeSink` puts in a store row's `record`: the file record, and which writer it came from. */
export interface AuditStoreEnvelope {
  v: 1;
  alg: HashAlg;
  /** The writer (service and instance): the store holds the records of every process. */
  source: string;
  entry: AuditRecord;
}

/** The part of `@stats-agent/store`'s RunStore the sink needs. */
export interface AuditStoreLike {
  /**
   * Appends under the store's lock: `build` gets the store's last row (null for the first) and
   * returns the next, linked to it by `prevHash`.
   */
  appendAuditWith(build: (last: { hash: string } | null) => { hash: string; prevHash: string | null; record: unknown }): Promise<unknown>;
}

const SOURCE = /^[A-Za-z0-9_.:/-]{1,128}$/;

/**
 * Mirrors records into the store. The store keeps ONE chain for every writer (several services
 * and replicas), so a row is an envelope `{v, alg, source, entry}` linked into the store's own
 * chain — `hash = storeRowHash(prevHash, envelope, key)` — while `entry` keeps the file record
 * (its seq and hash) for `verifyAudit(..., { storeRecords, storeSource })` to compare.
 * `source` names the writer, e.g. `orchestration/<pod name>`.
 */
export function storeSink(store: AuditStoreLike, opts: { source: string; hmacKey?: string | Buffer | undefined }): AuditSink {
  if (!SOURCE.test(opts.source)) throw new AuditError('AUDIT_ERR_CONFIG', 'audit: storeSink source: letters, digits and _.:/- only, at most 128');
  const alg: HashAlg = opts.hmacKey !== undefined ? 'hmac-sha256' : 'sha256';
  return {
    async append(entry) {
      await store.appendAuditWith((last) => {
        const prevHash = last?.hash ?? null;
        const record: AuditStoreEnvelope = { v: 1, alg, source: opts.source, entry };
        return { hash: storeRowHash(prevHash, record, opts.hmacKey), prevHash, record };
      });
    },
  };
}

/** A pino-compatible logger, or anything with these methods. The log never logs record content. */
export interface AuditLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export type FsyncPolicy = 'always' | 'batch' | 'never';

export interface AuditLogOptions {
  /** The log file (segment 1). Its directory is created if needed. */
  file: string;
  /** Keys the chain (HMAC-SHA-256 instead of SHA-256); at least 32 characters. */
  hmacKey?: string | Buffer | undefined;
  /** Key for hashing e-mail-like actor ids; defaults to `hmacKey`. */
  linkKey?: string | Buffer | undefined;
  /**
   * `always`: fdatasync after every record before its promise resolves; `batch` (default): one
   * fdatasync per batch of queued records (group commit) before their promises resolve; `never`:
   * leave it to the OS (a crash may lose the last records; the head then shows it).
   */
  fsync?: FsyncPolicy | undefined;
  /** Most events waiting to be written (default 1000). */
  maxQueue?: number | undefined;
  /** How long an `append` waits for room in a full queue before the event is dropped (default 1000 ms; 0 drops at once). */
  maxWaitMs?: number | undefined;
  sink?: AuditSink | undefined;
  /** Deadline for one sink call (default 5000 ms). */
  sinkTimeoutMs?: number | undefined;
  /** Most records waiting for the sink (default 10000); beyond it they are not mirrored (counted). */
  maxSinkQueue?: number | undefined;
  /**
   * Start a new segment file once the current one reaches this size (default 32 MiB), so that
   * verifying at start-up stays quick and closed segments can be shipped and archived as they are.
   */
  maxSegmentBytes?: number | undefined;
  logger?: AuditLogger | undefined;
  /** Write an `audit.started` record when opened (default true). */
  startRecord?: boolean | undefined;
  /** The clock (tests). */
  now?: (() => Date) | undefined;
}

export interface AuditLogStats {
  file: string;
  segment: number;
  seq: number;
  last_hash: string;
  appended: number;
  queued: number;
  /** Events dropped because the queue stayed full. */
  dropped: number;
  /** Events refused as invalid by `record()`. */
  invalid: number;
  sink_failures: number;
  sink_dropped: number;
  failed: boolean;
}

interface Pending {
  fields: Omit<AuditRecord, 'v' | 'alg' | 'seq' | 'prev_hash' | 'hash'>;
  resolve: (r: AuditRecord) => void;
  reject: (e: unknown) => void;
}

interface Waiter {
  admit: () => void;
  timer: NodeJS.Timeout;
}

const MIN_KEY_LENGTH = 32;
const BATCH = 256;
const SYSTEM = { kind: 'system', id: 'audit' } as const;

/** `audit.jsonl`, 2 → `audit.2.jsonl`; `audit`, 2 → `audit.2`. Segment 1 is the file itself. */
export function segmentPath(file: string, n: number): string {
  if (n <= 1) return file;
  const ext = extname(file);
  return join(dirname(file), `${basename(file, ext)}.${n}${ext}`);
}

/** Existing segments of a log, in order: `[{ n, path }]`. */
export async function listSegments(file: string): Promise<Array<{ n: number; path: string }>> {
  const ext = extname(file);
  const stem = basename(file, ext);
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${esc(stem)}\\.(\\d{1,6})${esc(ext)}$`);
  const names = await readdir(dirname(file)).catch(() => [] as string[]);
  const out = names.includes(basename(file)) ? [{ n: 1, path: file }] : [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (m && Number(m[1]) >= 2) out.push({ n: Number(m[1]), path: join(dirname(file), name) });
  }
  return out.sort((a, b) => a.n - b.n);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Logs this process holds open: a lock with our own pid is stale only if it is not one of these (pid 1 restarts in containers). */
const heldLocks = new Set<string>();

async function takeLock(path: string): Promise<void> {
  if (heldLocks.has(path)) throw new AuditError('AUDIT_ERR_IO', `audit: ${path}: the log is already open in this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      heldLocks.add(path);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new AuditError('AUDIT_ERR_IO', `audit: ${path}: the log is written by process ${pid}; give each process its own AUDIT_LOG_FILE`);
      }
      await rm(path, { force: true }); // stale: its process is gone
    }
  }
  throw new AuditError('AUDIT_ERR_IO', `audit: ${path}: cannot take the lock`);
}

/** The highest seq (and its hash) in a segment: from its head, else by reading its lines. */
async function lastRecordOf(path: string): Promise<{ seq: number; hash: string | null }> {
  const head = await readHead(headPathFor(path)).catch(() => null);
  let best = { seq: head?.seq ?? 0, hash: head?.hash ?? null };
  const text = await readFile(path, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    try {
      const r = JSON.parse(line) as { seq?: unknown; hash?: unknown };
      if (typeof r.seq === 'number' && Number.isSafeInteger(r.seq) && r.seq > best.seq) best = { seq: r.seq, hash: typeof r.hash === 'string' && /^[0-9a-f]{64}$/.test(r.hash) ? r.hash : null };
    } catch {
      // not a record; the segment's own verification reports it
    }
  }
  return best;
}

function why(result: VerifyResult | null, alg: HashAlg, wantAlg: HashAlg): string {
  if (result === null) return 'unverifiable';
  if (!result.complete_last_line) return 'torn_tail';
  const kinds = new Set(result.problems.map((p) => p.kind));
  if (kinds.has('truncated')) return 'truncated';
  if (kinds.size > 0) return 'chain_broken';
  if (alg !== wantAlg) return 'alg_changed';
  return 'chain_broken';
}

/**
 * The audit log. `AuditLog.open()` verifies and resumes (or starts) the chain; `append()` and
 * `record()` queue events; `close()` drains the queue and releases the file.
 */
export class AuditLog {
  private queue: Pending[] = [];
  private waiters: Waiter[] = [];
  private draining = false;
  private drained: Promise<void> = Promise.resolve();
  private closed = false;
  private failure: AuditError | null = null;
  private droppedUnrecorded = 0;
  /** System records that must be written before anything else queued (a segment's first record). */
  private systemFirst: Array<Pending['fields']> = [];
  private bytes = 0;
  private readonly counts = { appended: 0, dropped: 0, invalid: 0, sink_failures: 0, sink_dropped: 0 };
  private sinkQueue: AuditRecord[] = [];
  private sinkRunning: Promise<void> | null = null;
  private readonly alg: HashAlg;

  private constructor(
    private readonly opts: Required<Pick<AuditLogOptions, 'fsync' | 'maxQueue' | 'maxWaitMs' | 'sinkTimeoutMs' | 'maxSinkQueue' | 'maxSegmentBytes' | 'now'>> & AuditLogOptions,
    private fh: FileHandle,
    private path: string,
    private segment: number,
    private readonly lockPath: string,
    private seq: number,
    private lastHash: string,
  ) {
    this.alg = opts.hmacKey !== undefined ? 'hmac-sha256' : 'sha256';
  }

  /**
   * Opens the log: takes the lock, verifies the newest segment, resumes its chain or starts a
   * new segment, and (unless `startRecord: false`) writes `audit.started`. Rejects with
   * `AuditError` (`AUDIT_ERR_CONFIG` for bad options, `AUDIT_ERR_IO` when the file cannot be
   * opened or another process holds it). The returned log must be `close()`d.
   */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const problems: string[] = [];
    if (typeof options.file !== 'string' || options.file.length === 0) problems.push('file: required');
    if (options.hmacKey !== undefined && options.hmacKey.length < MIN_KEY_LENGTH) problems.push(`hmacKey: at least ${MIN_KEY_LENGTH} characters`);
    const positive = (name: string, v: number | undefined, min: number): void => {
      if (v !== undefined && (!Number.isInteger(v) || v < min)) problems.push(`${name}: an integer ≥ ${min}`);
    };
    positive('maxQueue', options.maxQueue, 1);
    positive('maxWaitMs', options.maxWaitMs, 0);
    positive('sinkTimeoutMs', options.sinkTimeoutMs, 1);
    positive('maxSinkQueue', options.maxSinkQueue, 1);
    positive('maxSegmentBytes', options.maxSegmentBytes, 4096);
    if (options.fsync !== undefined && !['always', 'batch', 'never'].includes(options.fsync)) problems.push('fsync: always, batch or never');
    if (problems.length) throw new AuditError('AUDIT_ERR_CONFIG', `audit: invalid options:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { problems });
    const opts = {
      ...options,
      fsync: options.fsync ?? 'batch',
      maxQueue: options.maxQueue ?? 1000,
      maxWaitMs: options.maxWaitMs ?? 1000,
      sinkTimeoutMs: options.sinkTimeoutMs ?? 5000,
      maxSinkQueue: options.maxSinkQueue ?? 10_000,
      maxSegmentBytes: options.maxSegmentBytes ?? 32 * 1024 * 1024,
      now: options.now ?? (() => new Date()),
    };
    const wantAlg: HashAlg = opts.hmacKey !== undefined ? 'hmac-sha256' : 'sha256';
    const io = (what: string, err: unknown): AuditError =>
      err instanceof AuditError ? err : new AuditError('AUDIT_ERR_IO', `audit: ${what} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });

    try {
      await mkdir(dirname(opts.file), { recursive: true, mode: 0o750 });
    } catch (err) {
      throw io(`${dirname(opts.file)}: cannot create the directory`, err);
    }
    const lockPath = `${opts.file}.lock`;
    await takeLock(lockPath).catch((err: unknown) => {
      throw io(`${lockPath}: cannot take the lock`, err);
    });

    let opened: FileHandle | null = null;
    try {
      const segments = await listSegments(opts.file);
      const active = segments[segments.length - 1] ?? { n: 1, path: opts.file };
      let result: VerifyResult | null = null;
      let head: AuditHead | null = null;
      let headBroken = false;
      let keyMissing = false;
      let size = 0;
      try {
        const fh = await open(active.path, 'r').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
        if (fh) {
          size = (await fh.stat()).size;
          await fh.close();
        }
        head = await readHead(headPathFor(active.path)).catch((err: unknown) => {
          if (err instanceof AuditError && err.code === 'AUDIT_ERR_INPUT') {
            headBroken = true;
            return null;
          }
          throw err;
        });
        if (size > 0) {
          // Verify without the key first: a plain log is then judged as plain (and, with a key
          // configured, left for a keyed segment) rather than reported as forged.
          const verify = (hmacKey: string | Buffer | undefined) => verifyAudit({ file: active.path }, { head, hmacKey, maxProblems: 10, firstSegment: active.n === 1 });
          result = await verify(undefined).catch(async (err: unknown) => {
            if (!(err instanceof AuditError && err.code === 'AUDIT_ERR_KEY_REQUIRED')) throw err;
            if (opts.hmacKey !== undefined) return verify(opts.hmacKey);
            keyMissing = true;
            return null;
          });
        }
      } catch (err) {
        throw io(`${active.path}: cannot read the existing log`, err);
      }

      const fresh = size === 0 && head === null && !headBroken;
      const alg: HashAlg = result?.keyed ? 'hmac-sha256' : 'sha256';
      const resumable = fresh || (result !== null && result.ok && result.complete_last_line && !headBroken && (result.records === 0 || alg === wantAlg));
      let path = active.path;
      let segment = active.n;
      let seq = 0;
      let lastHash = GENESIS_HASH;
      let segmentDetail: AuditDetail | null = null;
      if (fresh && active.n > 1) {
        // A segment created by rotation whose first record never made it (a crash in between):
        // start it now, numbering on from the segment before.
        const prev = segmentPath(opts.file, active.n - 1);
        const last = await lastRecordOf(prev);
        seq = last.seq;
        segmentDetail = { reason: 'rotated', previous_segment: basename(prev), previous_seq: last.seq, ...(last.hash ? { previous_hash: last.hash } : {}) };
      } else if (resumable) {
        seq = result?.last_seq ?? 0;
        lastHash = result?.last_hash ?? GENESIS_HASH;
      } else {
        segment = active.n + 1;
        path = segmentPath(opts.file, segment);
        const reason = headBroken ? 'head_unreadable' : keyMissing ? 'key_missing' : size === 0 ? 'truncated' : why(result, alg, wantAlg);
        // Continue the numbering past anything the old segment (or its head) claims, so store rows keep unique seqs.
        seq = Math.max(result?.max_seq ?? 0, head?.seq ?? 0);
        segmentDetail = {
          reason,
          previous_segment: basename(active.path),
          ...(result?.last_seq != null ? { previous_seq: result.last_seq } : {}),
          ...(result?.last_hash ? { previous_hash: result.last_hash } : {}),
          ...(result ? { problems: result.problems.length + result.problems_omitted } : {}),
        };
        opts.logger?.error({ file: active.path, reason, new_segment: path }, 'audit: the existing log is not intact; it is kept as evidence and a new segment is started');
      }

      let fh: FileHandle;
      try {
        fh = await open(path, 'a', 0o600);
        opened = fh;
      } catch (err) {
        throw io(`${path}: cannot open for appending`, err);
      }
      const log = new AuditLog(opts, fh, path, segment, lockPath, seq, lastHash);
      log.bytes = resumable ? size : 0;
      if (segmentDetail) {
        // The new segment's first record: prev_hash is the genesis hash, the link to the old chain is in detail.
        log.lastHash = GENESIS_HASH;
        await log.append({ actor: SYSTEM, action: 'audit.segment_started', resource: `audit:${basename(path)}`, outcome: 'success', detail: segmentDetail });
      }
      if (opts.startRecord !== false) {
        await log.append({ actor: SYSTEM, action: 'audit.started', resource: `audit:${basename(path)}`, outcome: 'success', detail: { pid: process.pid, resumed_at: seq } });
      }
      return log;
    } catch (err) {
      await opened?.close().catch(() => undefined);
      heldLocks.delete(lockPath);
      await rm(lockPath, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** The file records are being appended to (the active segment). */
  get file(): string {
    return this.path;
  }

  stats(): AuditLogStats {
    return {
      file: this.path,
      segment: this.segment,
      seq: this.seq,
      last_hash: this.lastHash,
      queued: this.queue.length,
      failed: this.failure !== null,
      ...this.counts,
    };
  }

  /**
   * Queues an event and resolves to its record once written (and synced, per `fsync`).
   * Throws `AuditError('AUDIT_ERR_INVALID_EVENT')` at once for an invalid event; rejects with
   * `AUDIT_ERR_QUEUE_FULL` when the queue stayed full for `maxWaitMs` (the drop is counted,
   * logged and itself recorded once there is room), `AUDIT_ERR_CLOSED` after `close()`, and
   * `AUDIT_ERR_IO` when the file cannot be written (the log then refuses everything after).
   */
  append(event: AuditEvent): Promise<AuditRecord> {
    const fields = normalizeEvent({ ...event, time: event.time ?? this.opts.now() }, this.opts.linkKey ?? this.opts.hmacKey);
    if (this.closed) return Promise.reject(new AuditError('AUDIT_ERR_CLOSED', 'audit: the log is closed'));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<AuditRecord>((resolve, reject) => {
      const pending: Pending = { fields, resolve, reject };
      if (this.queue.length < this.opts.maxQueue && this.waiters.length === 0) {
        this.enqueue(pending);
        return;
      }
      if (this.opts.maxWaitMs === 0 || this.waiters.length >= this.opts.maxQueue) {
        this.drop(event.action, reject);
        return;
      }
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(waiter.timer);
          this.enqueue(pending);
        },
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          this.drop(event.action, reject);
        }, this.opts.maxWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Fire-and-forget `append` for request paths: never throws or rejects. Invalid events, drops
   * and write failures are counted (`stats()`) and logged (without the event's content).
   */
  record(event: AuditEvent): void {
    let p: Promise<AuditRecord>;
    try {
      p = this.append(event);
    } catch (err) {
      this.counts.invalid += 1;
      this.opts.logger?.error({ action: String(event.action), problems: err instanceof AuditError ? err.problems : [] }, 'audit: invalid event not recorded');
      return;
    }
    p.catch(() => undefined); // counted and logged where it failed
  }

  /** Resolves when everything queued before the call is written (and synced per `fsync`). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.draining) await this.drained;
    if (this.failure) throw this.failure;
  }

  /**
   * Stops accepting events, writes what is queued, waits for the sink (bounded by its deadline
   * per record), closes the file and releases the lock. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => undefined);
    this.closed = true;
    for (const w of this.waiters.splice(0)) clearTimeout(w.timer);
    await this.sinkRunning;
    await this.fh.close().catch(() => undefined);
    await rm(this.lockPath, { force: true }).catch(() => undefined);
    heldLocks.delete(this.lockPath);
  }

  private enqueue(p: Pending): void {
    this.queue.push(p);
    this.startDrain();
  }

  private startDrain(): void {
    if (!this.draining && !this.failure) {
      this.draining = true;
      this.drained = this.drain();
    }
  }

  private drop(action: string, reject: (e: unknown) => void): void {
    this.counts.dropped += 1;
    this.droppedUnrecorded += 1;
    // Log the first drop and then every 100th: a flood must not become a second flood.
    if (this.counts.dropped === 1 || this.counts.dropped % 100 === 0) {
      this.opts.logger?.error({ action, dropped: this.counts.dropped, max_queue: this.opts.maxQueue }, 'audit: queue full, event dropped');
    }
    if (!this.closed) this.startDrain(); // records the drop itself once there is room
    reject(new AuditError('AUDIT_ERR_QUEUE_FULL', `audit: the queue stayed full (${this.opts.maxQueue} events) for ${this.opts.maxWaitMs} ms; ${action} event dropped`));
  }

  private seal(fields: Pending['fields']): AuditRecord {
    const body = { v: RECORD_VERSION, alg: this.alg, seq: this.seq + 1, ...fields, prev_hash: this.lastHash };
    const hash = computeHash(body, this.opts.hmacKey);
    return { ...body, hash } as AuditRecord;
  }

  private async writeRecord(record: AuditRecord): Promise<void> {
    const buf = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    let off = 0;
    // One write per record; a short write (rare on regular files) is finished, not restarted.
    while (off < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
    this.seq = record.seq;
    this.lastHash = record.hash;
    this.bytes += buf.length;
    this.counts.appended += 1;
  }

  private async drain(): Promise<void> {
    let done: Array<[Pending | null, AuditRecord]> = [];
    let current: Pending | null = null;
    try {
      while (this.queue.length > 0 || this.droppedUnrecorded > 0 || this.systemFirst.length > 0) {
        done = [];
        while ((this.queue.length > 0 || this.droppedUnrecorded > 0 || this.systemFirst.length > 0) && done.length < BATCH) {
          let p: Pending | null = null;
          let fields: Pending['fields'];
          const first = this.systemFirst.shift();
          if (first) fields = first;
          else if (this.droppedUnrecorded > 0) {
            const count = this.droppedUnrecorded;
            this.droppedUnrecorded = 0;
            fields = normalizeEvent({ actor: SYSTEM, action: 'audit.records_dropped', resource: `audit:${basename(this.path)}`, outcome: 'failure', detail: { count }, time: this.opts.now() });
          } else {
            p = this.queue.shift() as Pending;
            current = p;
            fields = p.fields;
            this.waiters.shift()?.admit();
          }
          const rec = this.seal(fields);
          await this.writeRecord(rec);
          if (this.opts.fsync === 'always') {
            await this.fh.datasync();
            p?.resolve(rec);
            this.toSink(rec);
          } else done.push([p, rec]);
          current = null;
        }
        if (this.opts.fsync === 'batch') await this.fh.datasync();
        await writeHead(headPathFor(this.path), { v: 1, alg: this.alg, seq: this.seq, hash: this.lastHash, time: this.opts.now().toISOString() }, this.opts.fsync !== 'never');
        for (const [p, rec] of done) {
          p?.resolve(rec);
          this.toSink(rec);
        }
        done = [];
        if (this.bytes >= this.opts.maxSegmentBytes) await this.rotate();
      }
    } catch (err) {
      this.failure = new AuditError('AUDIT_ERR_IO', `audit: ${this.path}: write failed (${(err as NodeJS.ErrnoException).code ?? 'error'}); no further records are accepted — restart to start a new segment`, { cause: err });
      this.opts.logger?.error({ file: this.path, code: (err as NodeJS.ErrnoException).code, seq: this.seq }, 'audit: write failed; the audit log stops accepting records');
      // Written but not synced (or the head not updated): not confirmed, so not resolved.
      current?.reject(this.failure);
      for (const [p] of done) p?.reject(this.failure);
      for (const p of this.queue.splice(0)) p.reject(this.failure);
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.admit();
      }
      for (const p of this.queue.splice(0)) p.reject(this.failure);
    } finally {
      this.draining = false;
    }
  }

  /** Closes the full segment (its head already matches it) and continues in the next one. */
  private async rotate(): Promise<void> {
    const previous = { path: this.path, seq: this.seq, hash: this.lastHash };
    const next = segmentPath(this.opts.file, this.segment + 1);
    const fh = await open(next, 'a', 0o600);
    await this.fh.close();
    this.fh = fh;
    this.path = next;
    this.segment += 1;
    this.bytes = 0;
    this.lastHash = GENESIS_HASH;
    this.systemFirst.unshift(
      normalizeEvent({
        actor: SYSTEM,
        action: 'audit.segment_started',
        resource: `audit:${basename(next)}`,
        outcome: 'success',
        detail: { reason: 'rotated', previous_segment: basename(previous.path), previous_seq: previous.seq, previous_hash: previous.hash },
        time: this.opts.now(),
      }),
    );
    this.opts.logger?.info({ file: next, previous: previous.path, seq: previous.seq }, 'audit: segment full, continuing in a new segment');
  }

  private toSink(rec: AuditRecord): void {
    const sink = this.opts.sink;
    if (!sink) return;
    if (this.sinkQueue.length >= this.opts.maxSinkQueue) {
      this.counts.sink_dropped += 1;
      if (this.counts.sink_dropped === 1 || this.counts.sink_dropped % 100 === 0) {
        this.opts.logger?.error({ seq: rec.seq, sink_dropped: this.counts.sink_dropped }, 'audit: sink queue full, record not mirrored');
      }
      return;
    }
    this.sinkQueue.push(rec);
    this.sinkRunning ??= this.runSink(sink).finally(() => {
      this.sinkRunning = null;
    });
  }

  private async runSink(sink: AuditSink): Promise<void> {
    while (this.sinkQueue.length > 0) {
      const rec = this.sinkQueue.shift() as AuditRecord;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          sink.append(rec),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), this.opts.sinkTimeoutMs);
          }),
        ]);
      } catch (err) {
        this.counts.sink_failures += 1;
        this.opts.logger?.warn({ seq: rec.seq, error: err instanceof Error ? err.message.slice(0, 200) : 'error' }, 'audit: sink append failed; the store copy lacks this record');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
