/**
 * Verifying an audit log: every record's own hash, the chain of `prev_hash` links, the order of
 * `seq`, the head checkpoint and (optionally) the store's copy. Each problem says WHERE — the
 * line in the file and the seq — and WHAT it most likely was:
 *
 * - `edited`     a record's own hash is wrong (changed in place), or it was changed and re-hashed
 *                so that the next record no longer chains to it, or it differs from the head or
 *                the store's copy;
 * - `deleted`    seqs missing where the next record's `prev_hash` names a record that is not there;
 * - `inserted`   a record that does not belong to the chain (the chain goes on from the record
 *                before it), or a second record claiming a seq;
 * - `reordered`  a record out of seq order whose links are otherwise intact;
 * - `duplicate`  the same record (same hash) a second time;
 * - `truncated`  the head checkpoint (or the store) is ahead of the file, or the last line was cut off;
 * - `malformed`  a line that is not a record (not JSON, or not the record schema).
 *
 * Memory: a few numbers and two hashes per record are kept until the end (about 200 bytes each).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { AuditError } from './errors.js';
import type { AuditHead } from './head.js';
import { computeHash, GENESIS_HASH, recordSchema, type AuditRecord } from './record.js';

export const PROBLEM_KINDS = ['malformed', 'edited', 'deleted', 'inserted', 'reordered', 'truncated', 'duplicate'] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface AuditProblem {
  /** 1-based line in the file; `null` when the problem has no line (a store-only record). */
  line: number | null;
  /** The seq concerned (the first missing one for a gap); `null` when unknown. */
  seq: number | null;
  kind: ProblemKind;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Lines that held a record (valid or not). */
  records: number;
  lines: number;
  first_seq: number | null;
  last_seq: number | null;
  last_hash: string | null;
  /** The highest seq any line claims (valid or not). */
  max_seq: number;
  /** When the file starts with `audit.segment_started`: where it says the chain before it ended. */
  segment_start: { reason: string; previous_segment: string | null; previous_seq: number | null; previous_hash: string | null } | null;
  /** Whether the log is HMAC-keyed. */
  keyed: boolean;
  /** Whether the file ends with a newline (a writer must not append to a torn last line). */
  complete_last_line: boolean;
  head: { seq: number; hash: string; status: 'matches' | 'behind' | 'ahead' | 'mismatch' } | null;
  /** Records after the head checkpoint: written after the last checkpoint, or appended by someone else. */
  after_head: number;
  problems: AuditProblem[];
  /** Problems beyond `maxProblems` that were counted but not listed. */
  problems_omitted: number;
}

/**
 * A row of the store's copy: as `@stats-agent/store`'s `auditRecords()` returns it
 * (`{seq, hash, prevHash, record}`, where `record` is the envelope `storeSink` wrote), or a plain
 * record, or `{record: plainRecord}`.
 */
export type StoreRow = { seq: number; hash: string; prevHash?: string | null; prev_hash?: string | null; record: unknown } | AuditRecord;

export interface VerifyOptions {
  /** The head checkpoint to hold the file to (`readHead(headPathFor(file))`). */
  head?: AuditHead | null | undefined;
  /** The chain key; required for a keyed log, and then every record must be keyed. */
  hmacKey?: string | Buffer | undefined;
  /** The store's copy, in any order; compared seq by seq with the file. */
  storeRecords?: (() => Promise<Iterable<StoreRow> | AsyncIterable<StoreRow>>) | undefined;
  /** Compare only store rows of this writer (`storeSink`'s `source`); needed when several processes share the store. */
  storeSource?: string | undefined;
  /**
   * The file is the log's first segment (`AUDIT_LOG_FILE` itself): it must start at seq 1. Only a
   * later segment may start with `audit.segment_started` at a higher seq — otherwise cutting the
   * start of a plain log and forging such a record there would pass. Default: false.
   */
  firstSegment?: boolean | undefined;
  /** At most this many problems are listed (default 1000); the rest are counted. */
  maxProblems?: number | undefined;
}

export type VerifyInput = { text: string } | { lines: readonly string[] } | { file: string };

export const MAX_LINE_BYTES = 64 * 1024;

interface Entry {
  line: number;
  seq: number;
  hash: string;
  prev: string;
  selfOk: boolean;
  segmentStart: boolean;
}

interface Anchor {
  seq: number;
  hash: string;
  line: number | null;
}

const HEX64 = /^[0-9a-f]{64}$/;

function isRecordShaped(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function range(a: number, b: number): string {
  return a === b ? `seq ${a}` : `seqs ${a}–${b}`;
}

/** Contiguous runs of sorted numbers: [[1,3],[7,7]]. */
function runs(nums: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const n of nums) {
    const last = out[out.length - 1];
    if (last && n === last[1] + 1) last[1] = n;
    else out.push([n, n]);
  }
  return out;
}

/** Collects problems, listing at most `max`. */
class Problems {
  readonly list: AuditProblem[] = [];
  omitted = 0;
  constructor(private readonly max: number) {}
  add(line: number | null, seq: number | null, kind: ProblemKind, message: string): void {
    if (this.list.length < this.max) this.list.push({ line, seq, kind, message });
    else this.omitted += 1;
  }
  has(line: number | null, kind?: ProblemKind): boolean {
    return this.list.some((p) => p.line === line && (kind === undefined || p.kind === kind));
  }
}

/**
 * The chain checker: feed it lines in order, then `finish()`. Kept separate from reading so a
 * file is checked while it streams.
 */
class ChainChecker {
  private readonly entries: Entry[] = [];
  private readonly malformedLines: number[] = [];
  private lineCount = 0;
  private keyedSeen = false;
  private plainSeen = false;
  private lastLineComplete = true;
  private maxSeq = 0;
  private segmentStart: VerifyResult['segment_start'] = null;
  readonly problems: Problems;

  constructor(private readonly key: string | Buffer | undefined, maxProblems: number) {
    this.problems = new Problems(maxProblems);
  }

  /** One line without its newline; `complete` is false for a last line with no newline. */
  add(text: string, complete: boolean, tooLong = false): void {
    const line = ++this.lineCount;
    this.lastLineComplete = complete;
    const bad = (message: string): void => {
      if (!complete) this.problems.add(line, null, 'truncated', `line ${line} is an incomplete record at the end of the file (the write was cut off): ${message}`);
      else this.problems.add(line, null, 'malformed', message);
      this.malformedLines.push(line);
    };
    if (tooLong) return bad(`line ${line} is longer than ${MAX_LINE_BYTES} bytes`);
    if (text.trim() === '') return bad(`line ${line} is blank`);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return bad(`line ${line} is not valid JSON`);
    }
    if (!isRecordShaped(raw)) return bad(`line ${line} is not a JSON object`);
    const { seq, hash, prev_hash: prev, alg } = raw;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1 || typeof hash !== 'string' || !HEX64.test(hash) || typeof prev !== 'string' || !HEX64.test(prev)) {
      return bad(`line ${line} has no valid seq, hash and prev_hash`);
    }
    this.maxSeq = Math.max(this.maxSeq, seq);
    if (alg !== 'sha256' && alg !== 'hmac-sha256') return bad(`line ${line} (seq ${seq}) has an unknown alg`);
    if (alg === 'hmac-sha256') this.keyedSeen = true;
    else this.plainSeen = true;

    let selfOk: boolean;
    let why = 'its hash does not match its content: the record was changed after it was written';
    try {
      if (alg === 'hmac-sha256') {
        selfOk = this.key !== undefined && computeHash(raw, this.key) === hash;
        if (!selfOk) why = 'its HMAC does not match its content: the record was changed or forged without the key';
      } else if (this.key !== undefined) {
        selfOk = false;
        why = 'it has a plain sha256 hash but the log is verified with a key: rewritten without the key (or written before AUDIT_HMAC_KEY was set — verify such a segment without the key)';
      } else {
        selfOk = computeHash(raw) === hash;
      }
    } catch {
      return bad(`line ${line} (seq ${seq}) cannot be canonicalized`);
    }
    if (!selfOk && !(alg === 'hmac-sha256' && this.key === undefined)) this.problems.add(line, seq, 'edited', `line ${line} (seq ${seq}): ${why}`);
    else if (!recordSchema.safeParse(raw).success) {
      this.problems.add(line, seq, 'malformed', `line ${line} (seq ${seq}) has a valid hash but is not a valid record (written by something other than the audit writer)`);
    }
    const segmentStart = raw['action'] === 'audit.segment_started' && prev === GENESIS_HASH;
    if (segmentStart && this.entries.length === 0 && isRecordShaped(raw['detail'])) {
      const d = raw['detail'];
      const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
      this.segmentStart = {
        reason: str(d['reason']) ?? 'unknown',
        previous_segment: str(d['previous_segment']),
        previous_seq: typeof d['previous_seq'] === 'number' ? d['previous_seq'] : null,
        previous_hash: str(d['previous_hash']),
      };
    }
    this.entries.push({ line, seq, hash, prev, selfOk, segmentStart });
  }

  finish(head: AuditHead | null | undefined, firstSegment = false): Omit<VerifyResult, 'ok' | 'problems' | 'problems_omitted'> & { accepted: Map<number, Entry> } {
    if (this.keyedSeen && this.key === undefined) {
      throw new AuditError('AUDIT_ERR_KEY_REQUIRED', 'audit: this log is keyed (hmac-sha256): give the key (AUDIT_HMAC_KEY or --hmac-key-file) to verify it');
    }
    const P = this.problems;

    // Duplicates: the same record again. Edited copies were reported already; drop them from the chain too.
    const byHash = new Map<string, Entry>();
    const chain: Entry[] = [];
    for (const e of this.entries) {
      const first = byHash.get(e.hash);
      if (first) {
        if (e.selfOk) P.add(e.line, e.seq, 'duplicate', `line ${e.line} (seq ${e.seq}) repeats the record on line ${first.line}`);
        continue;
      }
      byHash.set(e.hash, e);
      chain.push(e);
    }
    const bySeq = new Map<number, Entry[]>();
    const children = new Map<string, number>();
    for (const e of chain) {
      bySeq.set(e.seq, [...(bySeq.get(e.seq) ?? []), e]);
      children.set(e.prev, (children.get(e.prev) ?? 0) + 1);
    }
    const childCount = (hash: string): number => children.get(hash) ?? 0;
    const malformedBetween = (a: number | null, b: number): number => this.malformedLines.filter((l) => l > (a ?? 0) && l < b).length;
    const where = (a: Anchor): string => (a.line === null ? 'the start of the chain' : `line ${a.line} (seq ${a.seq})`);

    // The walk: `last` is the last record accepted into the chain, `before` the one before it.
    const first = chain[0];
    const cur: { last: Anchor; before: Anchor | null } = { last: { seq: first?.segmentStart && !firstSegment ? first.seq - 1 : 0, hash: GENESIS_HASH, line: null }, before: null };
    const accepted = new Map<number, Entry>();
    const fits = (e: Entry, base: Anchor): boolean => e.prev === base.hash && e.seq === base.seq + 1;
    const accept = (e: Entry, seq = e.seq): void => {
      cur.before = cur.last;
      cur.last = { seq, hash: e.hash, line: e.line };
      accepted.set(seq, e);
    };

    for (let i = 0; i < chain.length; i++) {
      const e = chain[i] as Entry;
      const next = chain[i + 1];
      const last = cur.last;
      if (fits(e, last)) {
        accept(e);
        continue;
      }
      // An edited record (own hash wrong) that still links: its seq field may be the edited part.
      if (!e.selfOk && e.prev === last.hash) {
        accept(e, last.seq + 1);
        continue;
      }
      const prevAnchor = cur.before;
      if (prevAnchor !== null && e.seq === last.seq && e.prev === prevAnchor.hash && last.line !== null) {
        // Two records with one seq and one parent: one of them was inserted. The genuine one has a successor.
        const lastEntry = accepted.get(last.seq) as Entry;
        const lastForged = childCount(e.hash) > 0 && childCount(last.hash) === 0 ? true : childCount(last.hash) > 0 && childCount(e.hash) === 0 ? false : head?.hash === e.hash;
        const forged = lastForged ? lastEntry : e;
        const real = lastForged ? e : lastEntry;
        P.add(forged.line, forged.seq, 'inserted', `line ${forged.line} (seq ${forged.seq}) was inserted: line ${real.line} holds seq ${real.seq} with the same predecessor, and the chain goes on from it`);
        if (lastForged) {
          accepted.delete(last.seq);
          cur.last = { seq: e.seq, hash: e.hash, line: e.line };
          accepted.set(e.seq, e);
        }
        continue;
      }
      if (e.seq <= last.seq) {
        const other = (bySeq.get(e.seq) ?? []).find((x) => x !== e);
        if (other) P.add(e.line, e.seq, 'inserted', `line ${e.line} claims seq ${e.seq}, which line ${other.line} already holds: inserted`);
        else P.add(e.line, e.seq, 'reordered', `line ${e.line} (seq ${e.seq}) comes after ${where(last)}: out of order`);
        continue;
      }
      if (e.seq > last.seq + 1) {
        const between: number[] = [];
        for (let s = last.seq + 1; s < e.seq && between.length <= 100_000; s++) between.push(s);
        const elsewhere = between.filter((s) => bySeq.has(s));
        const continuesAfter = next !== undefined && fits(next, last);
        if (continuesAfter && ((!byHash.has(e.prev) && elsewhere.length < between.length) || (bySeq.get(e.seq)?.length ?? 0) > 1)) {
          P.add(e.line, e.seq, 'inserted', `line ${e.line} (seq ${e.seq}) does not belong to the chain: line ${next.line} goes on from ${where(last)}`);
          continue;
        }
        if (continuesAfter) {
          P.add(e.line, e.seq, 'reordered', `line ${e.line} (seq ${e.seq}) comes before ${range(last.seq + 1, e.seq - 1)} (from line ${next.line}): out of order`);
          continue;
        }
        const missing = between.filter((s) => !bySeq.has(s));
        if (missing.length > malformedBetween(last.line, e.line)) {
          const text = runs(missing).map(([a, b]) => range(a, b)).join(', ');
          const at = last.line === null ? `before line ${e.line}, the first record (the file does not start a chain)` : `between ${where(last)} and line ${e.line} (seq ${e.seq})`;
          P.add(e.line, missing[0] ?? null, 'deleted', `${text} deleted: missing ${at}`);
        }
        accept(e);
        continue;
      }
      // e.seq === last.seq + 1 but e does not link to last.
      if (next !== undefined && fits(next, last)) {
        P.add(e.line, e.seq, 'inserted', `line ${e.line} (seq ${e.seq}) does not belong to the chain: line ${next.line} goes on from ${where(last)}`);
        continue;
      }
      if (last.line === null) {
        P.add(e.line, e.seq, 'edited', `line ${e.line} (seq ${e.seq}) does not start from the genesis hash: changed and re-hashed`);
      } else if (childCount(e.hash) === 0 && next !== undefined) {
        P.add(e.line, e.seq, 'edited', `line ${e.line} (seq ${e.seq}): its prev_hash is not the hash of ${where(last)}, and nothing chains to it: changed and re-hashed`);
      } else if (childCount(last.hash) === 0) {
        if (!P.has(last.line, 'edited')) P.add(last.line, last.seq, 'edited', `line ${last.line} (seq ${last.seq}): its hash is not the one line ${e.line} (seq ${e.seq}) chains to: changed and re-hashed`);
      } else {
        P.add(e.line, e.seq, 'edited', `line ${e.line} (seq ${e.seq}) does not chain to ${where(last)}`);
      }
      accept(e);
    }

    const lastAnchor: Anchor = cur.last;
    let headStatus: VerifyResult['head'] = null;
    let afterHead = 0;
    if (head) {
      const at = accepted.get(head.seq);
      if (head.seq > lastAnchor.seq) {
        headStatus = { seq: head.seq, hash: head.hash, status: 'ahead' };
        const end = lastAnchor.line === null ? 'holds no record' : `ends at seq ${lastAnchor.seq} on line ${lastAnchor.line}`;
        P.add(lastAnchor.line, lastAnchor.seq + 1, 'truncated', `the head checkpoint records seq ${head.seq} but the file ${end}: ${range(lastAnchor.seq + 1, head.seq)} deleted from the end`);
      } else if (head.seq === 0 || at === undefined) {
        headStatus = { seq: head.seq, hash: head.hash, status: head.seq === 0 && head.hash === GENESIS_HASH ? 'behind' : 'mismatch' };
        if (headStatus.status === 'mismatch') P.add(null, head.seq, 'edited', `the head checkpoint records seq ${head.seq}, which is not in the chain`);
      } else if (at.hash !== head.hash) {
        headStatus = { seq: head.seq, hash: head.hash, status: 'mismatch' };
        P.add(at.line, head.seq, 'edited', `line ${at.line} (seq ${head.seq}) differs from the head checkpoint: the records up to it were changed and re-hashed`);
      } else {
        headStatus = { seq: head.seq, hash: head.hash, status: head.seq === lastAnchor.seq ? 'matches' : 'behind' };
      }
      for (const s of accepted.keys()) if (s > head.seq) afterHead += 1;
    }
    return {
      records: this.entries.length,
      lines: this.lineCount,
      first_seq: first?.seq ?? null,
      last_seq: lastAnchor.line === null ? null : lastAnchor.seq,
      last_hash: lastAnchor.line === null ? null : lastAnchor.hash,
      max_seq: this.maxSeq,
      segment_start: this.segmentStart,
      keyed: this.keyedSeen && !this.plainSeen,
      complete_last_line: this.lastLineComplete,
      head: headStatus,
      after_head: afterHead,
      accepted,
    };
  }
}

/** Splits text into lines: the last piece is incomplete unless the text ends with a newline. */
function* splitText(text: string): Generator<[string, boolean]> {
  const parts = text.split('\n');
  const tail = parts.pop() as string;
  for (const p of parts) yield [p, true];
  if (tail !== '') yield [tail, false];
}

async function feedFile(path: string, checker: ChainChecker): Promise<void> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new AuditError('AUDIT_ERR_INPUT', `audit: ${path}: cannot read (${err.code ?? 'error'})`, { cause: err });
  });
  if (!info.isFile()) throw new AuditError('AUDIT_ERR_INPUT', `audit: ${path}: not a file`);
  const stream = createReadStream(path);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false; // inside a line that is already too long
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0) break;
        if (skipping) skipping = false;
        else {
          pending.push(chunk.subarray(start, nl));
          checker.add(Buffer.concat(pending).toString('utf8'), true);
        }
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
      }
      if (!skipping && start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > MAX_LINE_BYTES) {
          checker.add('', true, true);
          skipping = true;
          pending = [];
          pendingBytes = 0;
        }
      }
    }
  } catch (err) {
    throw new AuditError('AUDIT_ERR_INPUT', `audit: ${path}: read failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  if (!skipping && pendingBytes > 0) checker.add(Buffer.concat(pending).toString('utf8'), false);
}

/** The hash of a store row: over the previous row's hash (the store's own chain) and the envelope it holds. */
export function storeRowHash(prevHash: string | null, record: unknown, key?: string | Buffer): string {
  return computeHash({ prev_hash: prevHash ?? GENESIS_HASH, record }, key);
}

interface StoreEntry {
  rowSeq: number | null;
  hash: string;
  prev: string;
  segmentStart: boolean;
}

async function compareStore(
  rowsOf: NonNullable<VerifyOptions['storeRecords']>,
  source: string | undefined,
  accepted: Map<number, Entry>,
  fileStart: number,
  fileEnd: number,
  key: string | Buffer | undefined,
  P: Problems,
): Promise<void> {
  const store = new Map<number, StoreEntry>();
  let prevRow: { seq: number; hash: string } | null = null;
  const rows: Array<Record<string, unknown>> = [];
  for await (const row of await rowsOf()) {
    if (isRecordShaped(row)) rows.push(row);
    else P.add(null, null, 'malformed', 'store: a row is not an object');
  }
  rows.sort((a, b) => (typeof a['seq'] === 'number' ? a['seq'] : 0) - (typeof b['seq'] === 'number' ? b['seq'] : 0));
  for (const row of rows) {
    const wrapper = isRecordShaped(row['record']) ? row['record'] : null;
    // The store's own chain, for rows written by storeSink: {seq, hash, prevHash, record: {v, alg, source, entry}}.
    if (wrapper && isRecordShaped(wrapper['entry'])) {
      const rowSeq = typeof row['seq'] === 'number' ? row['seq'] : null;
      const rowHash = typeof row['hash'] === 'string' ? row['hash'] : '';
      const rowPrev = typeof row['prevHash'] === 'string' ? row['prevHash'] : typeof row['prev_hash'] === 'string' ? row['prev_hash'] : null;
      const keyed = wrapper['alg'] === 'hmac-sha256';
      if (!keyed || key !== undefined) {
        let own: string | null = null;
        try {
          own = keyed || key === undefined ? storeRowHash(rowPrev, wrapper, keyed ? key : undefined) : null;
        } catch {
          own = null;
        }
        if (own !== rowHash) P.add(null, rowSeq, 'edited', `store: row ${rowSeq ?? '?'} does not match its hash (changed in the store${keyed ? ', or forged without the key' : ''})`);
      }
      if (prevRow !== null && rowSeq !== null) {
        if (rowSeq > prevRow.seq + 1) P.add(null, prevRow.seq + 1, 'deleted', `store: rows ${range(prevRow.seq + 1, rowSeq - 1)} are missing from the store's chain`);
        else if (rowSeq === prevRow.seq + 1 && rowPrev !== prevRow.hash) P.add(null, rowSeq, 'edited', `store: row ${rowSeq} does not chain to row ${prevRow.seq}`);
      }
      if (rowSeq !== null) prevRow = { seq: rowSeq, hash: rowHash };
      if (source !== undefined && wrapper['source'] !== source) continue; // another writer's records
      addEntry(wrapper['entry'], rowSeq);
      continue;
    }
    addEntry(wrapper ?? row, null); // a plain record, or {record: plainRecord}
  }

  function addEntry(rec: Record<string, unknown>, rowSeq: number | null): void {
    if (typeof rec['seq'] !== 'number' || typeof rec['hash'] !== 'string' || typeof rec['prev_hash'] !== 'string') {
      P.add(null, rowSeq, 'malformed', `store: row ${rowSeq ?? '?'} does not hold an audit record`);
      return;
    }
    const seq = rec['seq'];
    const hash = rec['hash'];
    let own: string | undefined;
    try {
      own = rec['alg'] === 'hmac-sha256' ? (key === undefined ? hash : computeHash(rec, key)) : key === undefined ? computeHash(rec) : undefined;
    } catch {
      own = undefined;
    }
    if (own !== hash) P.add(null, seq, 'edited', `store: the store's copy of seq ${seq} does not match its own hash`);
    if (seq < fileStart) return; // an earlier segment
    if (store.has(seq)) P.add(null, seq, 'duplicate', `store: seq ${seq} is stored twice${source === undefined ? ' (several writers share the store: pass the source)' : ''}`);
    store.set(seq, { rowSeq, hash, prev: rec['prev_hash'], segmentStart: rec['action'] === 'audit.segment_started' && rec['prev_hash'] === GENESIS_HASH });
  }

  // The store holds every segment: stop where the next segment (after this file) starts.
  const nextSegment = Math.min(Infinity, ...[...store.entries()].filter(([seq, e]) => e.segmentStart && seq > fileStart).map(([seq]) => seq));
  const storeEnd = Math.max(0, ...[...store.keys()].filter((seq) => seq < nextSegment));
  const seqs = [...new Set([...store.keys(), ...accepted.keys()])].filter((seq) => seq < nextSegment).sort((a, b) => a - b);
  for (const seq of seqs) {
    const s = store.get(seq);
    const f = accepted.get(seq);
    if (s && f) {
      if (s.hash !== f.hash) P.add(f.line, seq, 'edited', `line ${f.line} (seq ${seq}) differs from the store's copy`);
    } else if (s && !f) {
      if (seq > fileEnd) P.add(null, seq, 'truncated', `store: the store holds seq ${seq} beyond the file's last record (seq ${fileEnd}): deleted from the end of the file`);
      else P.add(null, seq, 'deleted', `store: the store holds seq ${seq}, which the file lacks`);
    } else if (f && !s && seq <= storeEnd) {
      P.add(f.line, seq, 'inserted', `line ${f.line} (seq ${seq}) is not in the store: inserted into the file (or its store write failed — see the audit sink failure count)`);
    }
    if (s && !s.segmentStart) {
      const prev = store.get(seq - 1);
      if (prev && prev.hash !== s.prev) P.add(null, seq, 'edited', `store: the store's copy of seq ${seq} does not chain to its seq ${seq - 1}`);
    }
  }
}

/**
 * Verifies an audit log given as text, lines (each a complete line) or a file.
 *
 * Resolves to the result — `ok` and every problem found — whether or not the log is intact.
 * Rejects with `AuditError('AUDIT_ERR_KEY_REQUIRED')` for a keyed log without the key, and
 * `AuditError('AUDIT_ERR_INPUT')` when the file cannot be read.
 */
export async function verifyAudit(input: VerifyInput, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const checker = new ChainChecker(opts.hmacKey, opts.maxProblems ?? 1000);
  if ('file' in input) await feedFile(input.file, checker);
  else if ('text' in input) for (const [line, complete] of splitText(input.text)) checker.add(line, complete, Buffer.byteLength(line) > MAX_LINE_BYTES);
  else for (const line of input.lines) checker.add(line, true, Buffer.byteLength(line) > MAX_LINE_BYTES);

  const { accepted, ...result } = checker.finish(opts.head, opts.firstSegment ?? false);
  if (opts.storeRecords) {
    const fileStart = !opts.firstSegment && result.first_seq !== null && accepted.get(result.first_seq)?.segmentStart ? result.first_seq : 1;
    await compareStore(opts.storeRecords, opts.storeSource, accepted, fileStart, result.last_seq ?? 0, opts.hmacKey, checker.problems);
  }
  const problems = [...checker.problems.list].sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) || (a.seq ?? 0) - (b.seq ?? 0));
  return { ok: problems.length === 0 && checker.problems.omitted === 0, ...result, problems, problems_omitted: checker.problems.omitted };
}

/** The algorithm a log's records use, for a writer resuming it. */

/**
 * Checks that one segment picks up where the one before it ended: its `audit.segment_started`
 * record names the previous segment's last seq and hash. Finds records cut from the end of a
 * closed segment (even with its head rewritten) and whole segments deleted. Problems are placed
 * on the later segment's first line.
 */
export function segmentLinkProblems(previous: VerifyResult, next: VerifyResult, previousFile?: string): AuditProblem[] {
  const start = next.segment_start;
  if (start !== null && previousFile !== undefined && start.previous_segment !== null && basename(previousFile) !== start.previous_segment) {
    return [{ line: 1, seq: next.first_seq, kind: 'deleted', message: `this segment follows ${start.previous_segment}, not ${basename(previousFile)}: a segment is missing (or the files are out of order)` }];
  }
  if (start === null) {
    return next.first_seq !== null && previous.last_seq !== null && next.first_seq !== previous.last_seq + 1
      ? [{ line: 1, seq: next.first_seq, kind: 'deleted', message: `this segment starts at seq ${next.first_seq} but the one before ends at seq ${previous.last_seq}, and it does not say why: a segment or records are missing` }]
      : [];
  }
  const problems: AuditProblem[] = [];
  if (start.previous_seq !== null && previous.last_seq !== start.previous_seq) {
    const kind: ProblemKind = previous.last_seq !== null && previous.last_seq < start.previous_seq ? 'truncated' : 'deleted';
    problems.push({ line: 1, seq: next.first_seq, kind, message: `this segment says the one before ended at seq ${start.previous_seq}, but it ends at seq ${previous.last_seq ?? 'none'}: ${kind === 'truncated' ? 'records were cut from its end' : 'a segment is missing between them'}` });
  } else if (start.previous_hash !== null && previous.last_hash !== start.previous_hash) {
    problems.push({ line: 1, seq: next.first_seq, kind: 'edited', message: `this segment names a different last hash for the segment before (seq ${start.previous_seq ?? '?'}): the end of that segment was rewritten` });
  }
  if (start.reason === 'rotated' && next.first_seq !== null && start.previous_seq !== null && next.first_seq !== start.previous_seq + 1) {
    problems.push({ line: 1, seq: next.first_seq, kind: 'edited', message: `this segment starts at seq ${next.first_seq}, not right after seq ${start.previous_seq}` });
  }
  return problems;
}

/** Whether a file name is that of a later segment (`audit.2.jsonl`, `audit.3`), which may start with `audit.segment_started`. */
export function isLaterSegmentName(file: string): boolean {
  const m = /\.(\d{1,6})(\.[^./]*)?$/.exec(basename(file));
  return m !== null && Number(m[1]) >= 2;
}
