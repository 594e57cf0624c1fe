import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { auditConfigFromEnv, auditLogOptions } from './config.js';
import { AuditError } from './errors.js';
import { headPathFor, readHead } from './head.js';
import { computeHash, hashTopic, type AuditEvent, type AuditRecord } from './record.js';
import { verifyAudit } from './verify.js';
import { AuditLog, listSegments, segmentPath, storeSink, type AuditLogger, type AuditSink } from './writer.js';

interface StoreRowLike {
  seq: number;
  hash: string;
  prevHash: string | null;
  record: unknown;
}

/**
 * The audit part of @stats-agent/store's RunStore, with its rules: one chain for every writer,
 * appends serialized, `build` given the last row, a row whose prevHash is not the last row's
 * hash refused, seq assigned by the store.
 */
class FakeStore {
  readonly rows: StoreRowLike[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  appendAuditWith(build: (last: StoreRowLike | null) => { seq?: number; hash: string; prevHash: string | null; record: unknown }): Promise<StoreRowLike> {
    const run = this.tail.then(async () => {
      await new Promise((r) => setImmediate(r));
      const last = this.rows[this.rows.length - 1] ?? null;
      const entry = build(last);
      if (last !== null && entry.prevHash !== last.hash) throw new Error('store: audit record does not link to the last one');
      const row = { seq: (last?.seq ?? 0) + 1, hash: entry.hash, prevHash: entry.prevHash, record: JSON.parse(JSON.stringify(entry.record)) as unknown };
      this.rows.push(row);
      return row;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
  async auditRecords(): Promise<StoreRowLike[]> {
    return this.rows.map((r) => ({ ...r }));
  }
}

const T = { timeout: 20_000 };
const KEY = 'audit-test-key-0123456789abcdef0123456789';

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-writer-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});
const fresh = (): string => join(dir, `case-${++n}`, 'audit.jsonl');

const ev = (i: number, extra: Partial<AuditEvent> = {}): AuditEvent => ({
  actor: { kind: 'api_key', id: 'key_ops' },
  action: 'run.created',
  resource: `run:run_${i}`,
  outcome: 'success',
  request_id: `req-${i}`,
  source_ip: '127.0.0.1',
  ...extra,
});

async function recordsOf(file: string): Promise<AuditRecord[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);
}

async function verifyFile(file: string, hmacKey?: string) {
  return verifyAudit({ file }, { head: await readHead(headPathFor(file)), hmacKey });
}

/** A logger that keeps what it was given, to assert on. */
function memoryLogger(): AuditLogger & { lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> } {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

describe('AuditLog: writing', () => {
  test('concurrent appends are written in call order, chained, with the head at the end', T, async () => {
    const file = fresh();
    const log = await AuditLog.open({ file });
    const written = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(ev(i))));
    await log.close();
    const recs = await recordsOf(file);
    assert.equal(recs.length, 301);
    assert.equal(recs[0]?.action, 'audit.started');
    assert.deepEqual(
      recs.slice(1).map((r) => r.resource),
      Array.from({ length: 300 }, (_, i) => `run:run_${i}`),
    );
    assert.deepEqual(
      recs.map((r) => r.seq),
      Array.from({ length: 301 }, (_, i) => i + 1),
    );
    assert.deepEqual(written.map((r) => r.seq), recs.slice(1).map((r) => r.seq));
    const head = await readHead(headPathFor(file));
    assert.equal(head?.seq, 301);
    assert.equal(head?.hash, recs[300]?.hash);
    const r = await verifyFile(file);
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.head?.status, 'matches');
  });

  test('records carry UTC time, the fields given, and nothing else', T, async () => {
    const file = fresh();
    const log = await AuditLog.open({ file, startRecord: false, now: () => new Date('2026-03-04T05:06:07.089+02:00') });
    const rec = await log.append(ev(1, { detail: { reason: 'bad_signature', attempts: 3 } }));
    await log.close();
    assert.equal(rec.time, '2026-03-04T03:06:07.089Z');
    assert.deepEqual(Object.keys(rec).sort(), ['action', 'actor', 'alg', 'detail', 'hash', 'outcome', 'prev_hash', 'request_id', 'resource', 'seq', 'source_ip', 'time', 'v']);
    assert.equal(rec.seq, 1);
    assert.equal(rec.prev_hash, '0'.repeat(64));
    assert.deepEqual((await recordsOf(file))[0], rec);
  });

  test('every fsync policy writes a valid chain', T, async () => {
    for (const fsync of ['always', 'batch', 'never'] as const) {
      const file = fresh();
      const log = await AuditLog.open({ file, fsync });
      await Promise.all([log.append(ev(1)), log.append(ev(2)), log.append(ev(3))]);
      await log.close();
      const r = await verifyFile(file);
      assert.equal(r.ok, true, `${fsync}: ${JSON.stringify(r.problems)}`);
      assert.equal(r.last_seq, 4);
    }
  });

  test('a keyed log verifies only with its key', T, async () => {
    const file = fresh();
    const log = await AuditLog.open({ file, hmacKey: KEY });
    await log.append(ev(1));
    await log.close();
    assert.equal((await verifyFile(file, KEY)).ok, true);
    await assert.rejects(verifyFile(file), (e: unknown) => e instanceof AuditError && e.code === 'AUDIT_ERR_KEY_REQUIRED');
    assert.equal((await verifyFile(file, 'z'.repeat(40))).ok, false);
  });

  test('invalid events are refused with the rule broken, never the text', T, async () => {
    const file = fresh();
    const logger = memoryLogger();
    const log = await AuditLog.open({ file, logger });
    const secretish = 'renewable energy for jane.doe@example.com';
    for (const bad of [
      ev(1, { resource: `topic:${secretish}` }),
      ev(1, { detail: { reason: secretish } }),
      ev(1, { action: 'made.up' as never }),
      ev(1, { outcome: 'maybe' as never }),
      ev(1, { detail: { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9 } }),
    ]) {
      assert.throws(
        () => log.append(bad),
        (e: unknown) => e instanceof AuditError && e.code === 'AUDIT_ERR_INVALID_EVENT' && !e.message.includes('renewable') && !e.message.includes('jane'),
      );
    }
    // Fields from outside never cost the event: a bad address is left out, a bad request id hashed.
    const odd = await log.append(ev(1, { source_ip: 'not-an-ip', request_id: 'x'.repeat(500) + ' <script>' }));
    assert.equal(odd.source_ip, undefined);
    assert.match(odd.request_id ?? '', /^sha256:[0-9a-f]{32}$/);
    log.record(ev(1, { resource: `topic:${secretish}` })); // never throws
    assert.equal(log.stats().invalid, 1);
    assert.equal(logger.lines.filter((l) => l.level === 'error').length, 1);
    assert.ok(!JSON.stringify(logger.lines).includes('jane'));
    await log.close();
    assert.equal((await recordsOf(file)).length, 2); // audit.started and the odd one
  });

  test('no PII: e-mail-like, name-like and JWT-like actor ids are hashed (keyed when a key is set); SPIFFE IDs kept', T, async () => {
    const file = fresh();
    const log = await AuditLog.open({ file, hmacKey: KEY, startRecord: false });
    const email = await log.append(ev(1, { actor: { kind: 'jwt', id: 'Jane.Doe@Example.com' } }));
    const name = await log.append(ev(2, { actor: { kind: 'jwt', id: 'Jane Doe' } }));
    const jwt = await log.append(ev(3, { actor: { kind: 'jwt', id: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' } }));
    const spiffe = await log.append(ev(4, { actor: { kind: 'spiffe', id: 'spiffe://stats-agent.local/ns/stats-agent/sa/research' } }));
    const topic = await log.append(ev(5, { resource: `topic:${hashTopic('Renewable  Energy', KEY)}` }));
    await log.close();
    assert.equal(email.actor.id, hashTopic('jane.doe@example.com', KEY));
    assert.match(email.actor.id, /^hmac-sha256:[0-9a-f]{32}$/);
    assert.match(name.actor.id, /^hmac-sha256:/);
    assert.match(jwt.actor.id, /^hmac-sha256:/);
    assert.equal(spiffe.actor.id, 'spiffe://stats-agent.local/ns/stats-agent/sa/research');
    assert.equal(topic.resource, `topic:${hashTopic('renewable energy', KEY)}`, 'the same topic links');
    const text = await readFile(file, 'utf8');
    for (const leaked of ['Jane', 'jane', 'Doe', 'eyJ', 'enewable']) assert.ok(!text.includes(leaked), leaked);
    const plain = hashTopic('jane.doe@example.com');
    assert.match(plain, /^sha256:[0-9a-f]{32}$/);
    assert.notEqual(plain.slice(-32), email.actor.id.slice(-32));
  });

  test('a second writer on the same file is refused; a stale lock is taken over', T, async () => {
    const file = fresh();
    const log = await AuditLog.open({ file });
    await assert.rejects(AuditLog.open({ file }), (e: unknown) => e instanceof AuditError && e.code === 'AUDIT_ERR_IO' && /already open in this process/.test(e.message));
    await log.close();
    await writeFile(`${file}.lock`, String(process.ppid)); // a live process other than this one
    await assert.rejects(AuditLog.open({ file }), (e: unknown) => e instanceof AuditError && e.code === 'AUDIT_ERR_IO' && new RegExp(`written by process ${process.ppid}`).test(e.message));
    await writeFile(`${file}.lock`, '999999999');
    const again = await AuditLog.open({ file });
    await again.close();
    assert.equal((await verifyFile(file)).ok, true);
  });

  test('bad options are reported together', T, async () => {
    await assert.rejects(AuditLog.open({ file: fresh(), hmacKey: 'short', maxQueue: 0, fsync: 'sometimes' as never }), (e: unknown) => e instanceof AuditError && e.code === 'AUDIT_ERR_CONFIG' && e.problems.length === 3 && !e.message.includes('short'));
  });

  test('a failed write (a full disk) rejects, is logged, and stops the log instead of leaving a gap in the chain', { ...T, skip: !existsSync('/dev/full') && 'no /dev/full' }, async () => {
    const file = fresh();
    await mkdir(dirname(file), { recursive: true });
    await symlink('/dev/full', file); // every write: ENOSPC
    const logger = memoryLogger();
    const log = await AuditLog.open({ file, logger, startRecord: false });
    await assert.rejects(log.append(ev(1)), (e: unknown) => e instanceof AuditError && e.code === 'AUDIT_ERR_IO' && /ENOSPC/.test(e.message));
    await assert.rejects(log.append(ev(2)), (e: unknown) => e instanceof AuditError && e.code === 'AUDIT_ERR_IO');
    log.record(ev(3)); // never throws
    assert.equal(log.stats().failed, true);
    assert.equal(log.stats().seq, 0);
    assert.equal(logger.lines.filter((l) => l.level === 'error' && l.obj['code'] === 'ENOSPC').length, 1);
    await log.close();
  });

  test('append after close is refused', T, async () => {
    const log = await AuditLog.open({ file: fresh() });
    await log.close();
    await assert.rejects(log.append(ev(1)), (e: unknown) => e instanceof AuditError && e.code === 'AUDIT_ERR_CLOSED');
    await log.close();
  });
});

describe('AuditLog: the bounded queue', () => {
  test('a full queue drops at once with maxWaitMs 0, counts and logs it, and records the drop in the chain', T, async () => {
    const file = fresh();
    const logger = memoryLogger();
    const log = await AuditLog.open({ file, maxQueue: 3, maxWaitMs: 0, logger, startRecord: false });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => log.append(ev(i))));
    await log.flush();
    const rejected = results.filter((r) => r.status === 'rejected');
    const written = results.filter((r) => r.status === 'fulfilled');
    assert.ok(rejected.length >= 1, 'some were dropped');
    assert.ok(written.length <= 4, 'no more than the queue (and the one being written) got in');
    assert.ok(rejected.every((r) => r.reason instanceof AuditError && r.reason.code === 'AUDIT_ERR_QUEUE_FULL'));
    assert.equal(log.stats().dropped, rejected.length);
    assert.ok(logger.lines.some((l) => l.msg.includes('queue full') && l.obj['dropped'] === 1));
    await log.close();
    const recs = await recordsOf(file);
    const marker = recs.find((r) => r.action === 'audit.records_dropped');
    assert.equal(marker?.detail?.['count'], rejected.length);
    assert.equal(recs.length, written.length + 1);
    assert.equal((await verifyFile(file)).ok, true);
  });

  test('with a wait, appends beyond the bound wait their turn (at most maxQueue of them) and keep their order', T, async () => {
    const file = fresh();
    const log = await AuditLog.open({ file, maxQueue: 2, maxWaitMs: 10_000, startRecord: false });
    // One is being written, two are queued, two wait for room.
    const recs = await Promise.all(Array.from({ length: 5 }, (_, i) => log.append(ev(i))));
    await log.close();
    assert.deepEqual(recs.map((r) => r.resource), Array.from({ length: 5 }, (_, i) => `run:run_${i}`));
    assert.equal(log.stats().dropped, 0);
    assert.deepEqual((await recordsOf(file)).map((r) => r.seq), Array.from({ length: 5 }, (_, i) => i + 1));
  });

  test('record() never rejects, even when the queue is full', T, async () => {
    const log = await AuditLog.open({ file: fresh(), maxQueue: 1, maxWaitMs: 0, startRecord: false });
    for (let i = 0; i < 10; i++) log.record(ev(i));
    await log.flush();
    assert.ok(log.stats().dropped >= 1);
    await log.close();
  });
});

describe('AuditLog: restarting', () => {
  test('a restart continues the chain of an intact file', T, async () => {
    const file = fresh();
    const a = await AuditLog.open({ file });
    await a.append(ev(1));
    await a.append(ev(2));
    await a.close();
    const b = await AuditLog.open({ file });
    const rec = await b.append(ev(3));
    await b.close();
    assert.equal(b.file, file);
    assert.equal(rec.seq, 5); // started, 1, 2, started, 3
    const recs = await recordsOf(file);
    assert.deepEqual(recs.map((r) => r.action), ['audit.started', 'run.created', 'run.created', 'audit.started', 'run.created']);
    assert.equal(recs[3]?.detail?.['resumed_at'], 3);
    const r = await verifyFile(file);
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal((await listSegments(file)).length, 1);
  });

  for (const [name, tamper, reason] of [
    [
      'an edited record',
      async (file: string) => {
        const text = await readFile(file, 'utf8');
        await writeFile(file, text.replace('run:run_1"', 'run:run_9"'));
      },
      'chain_broken',
    ],
    [
      'a torn last write',
      async (file: string) => {
        await appendFile(file, '{"v":1,"alg":"sha256","seq":4,"ti');
      },
      'torn_tail',
    ],
    [
      'the last record cut off (the head is ahead)',
      async (file: string) => {
        const text = await readFile(file, 'utf8');
        const lines = text.split('\n').filter(Boolean);
        await writeFile(file, lines.slice(0, -1).join('\n') + '\n');
      },
      'truncated',
    ],
    [
      'an emptied file',
      async (file: string) => {
        await truncate(file, 0);
      },
      'truncated',
    ],
    [
      'a corrupt head',
      async (file: string) => {
        await writeFile(headPathFor(file), 'nonsense');
      },
      'head_unreadable',
    ],
  ] as const) {
    test(`a restart after ${name} keeps the old file untouched and starts a new segment saying why`, T, async () => {
      const file = fresh();
      const a = await AuditLog.open({ file });
      await a.append(ev(1));
      await a.append(ev(2));
      await a.close();
      await tamper(file);
      const before = await readFile(file);
      const logger = memoryLogger();
      const b = await AuditLog.open({ file, logger });
      await b.append(ev(3));
      await b.close();
      assert.deepEqual(await readFile(file), before, 'the evidence is left as it was');
      assert.equal(b.file, segmentPath(file, 2));
      assert.ok(b.file.endsWith('audit.2.jsonl'));
      const recs = await recordsOf(b.file);
      assert.equal(recs[0]?.action, 'audit.segment_started');
      assert.equal(recs[0]?.detail?.['reason'], reason);
      assert.equal(recs[0]?.detail?.['previous_segment'], 'audit.jsonl');
      assert.ok((recs[0]?.seq ?? 0) > 3, 'seqs continue past everything the old segment claimed');
      assert.ok(logger.lines.some((l) => l.level === 'error' && l.obj['reason'] === reason));
      const r = await verifyFile(b.file);
      assert.equal(r.ok, true, JSON.stringify(r.problems));
      assert.deepEqual((await listSegments(file)).map((s) => s.n), [1, 2]);
      // The next restart continues segment 2, not a third one.
      const c = await AuditLog.open({ file });
      await c.close();
      assert.equal(c.file, b.file);
    });
  }

  test('a key set (or changed) after a plain log starts a new segment', T, async () => {
    const file = fresh();
    const a = await AuditLog.open({ file });
    await a.close();
    const b = await AuditLog.open({ file, hmacKey: KEY });
    await b.close();
    assert.equal((await recordsOf(b.file))[0]?.detail?.['reason'], 'alg_changed');
    const c = await AuditLog.open({ file });
    await c.close();
    assert.equal((await recordsOf(c.file))[0]?.detail?.['reason'], 'key_missing');
    assert.equal((await listSegments(file)).length, 3);
  });
});

describe('AuditLog: segments by size', () => {
  test('a full segment is closed with a matching head and the chain goes on in the next, seqs continuing', T, async () => {
    const file = fresh();
    const store = new FakeStore();
    const log = await AuditLog.open({ file, maxSegmentBytes: 4096, sink: storeSink(store, { source: 'test' }) });
    for (let i = 0; i < 40; i++) await log.append(ev(i)); // ~300 bytes each: several segments
    await log.close();
    const segments = await listSegments(file);
    assert.ok(segments.length >= 3, `${segments.length} segments`);
    let expectSeq = 1;
    for (const [k, s] of segments.entries()) {
      const r = await verifyFile(s.path);
      assert.equal(r.ok, true, `${s.path}: ${JSON.stringify(r.problems)}`);
      assert.equal(r.head?.status, 'matches');
      const recs = await recordsOf(s.path);
      assert.equal(recs[0]?.seq, expectSeq, 'seqs continue across segments');
      if (k > 0) {
        assert.equal(recs[0]?.action, 'audit.segment_started');
        assert.equal(recs[0]?.detail?.['reason'], 'rotated');
        assert.equal(recs[0]?.detail?.['previous_seq'], expectSeq - 1);
      }
      expectSeq = (recs[recs.length - 1]?.seq ?? 0) + 1;
    }
    assert.deepEqual(store.rows.map((r) => (r.record as { entry: AuditRecord }).entry.seq), Array.from({ length: expectSeq - 1 }, (_, i) => i + 1));
    // Every segment against the store: the store holds all segments; each file is compared from its first seq on.
    for (const s of segments) {
      const r = await verifyAudit({ file: s.path }, { firstSegment: s.n === 1, storeRecords: () => store.auditRecords(), storeSource: 'test' });
      assert.equal(r.ok, true, `${s.path}: ${JSON.stringify(r.problems)}`);
    }
    // A restart goes on in the newest segment.
    const again = await AuditLog.open({ file, maxSegmentBytes: 4096 });
    const rec = await again.append(ev(99));
    await again.close();
    assert.ok(rec.seq === expectSeq + 1 || rec.seq === expectSeq + 2, `seq ${rec.seq}`); // + a segment_started if audit.started filled the segment
    const newest = (await listSegments(file)).at(-1)?.path as string;
    assert.equal(again.file, newest);
    assert.equal((await verifyFile(newest)).ok, true);
  });

  test('a rotated segment left empty by a crash is started on restart, numbering on', T, async () => {
    const file = fresh();
    const a = await AuditLog.open({ file });
    await a.append(ev(1));
    await a.close();
    await writeFile(segmentPath(file, 2), '');
    const b = await AuditLog.open({ file });
    await b.close();
    const recs = await recordsOf(segmentPath(file, 2));
    assert.equal(recs[0]?.action, 'audit.segment_started');
    assert.equal(recs[0]?.seq, 3);
    assert.equal((await verifyFile(segmentPath(file, 2))).ok, true);
  });
});

describe('AuditLog: the sink (store mirror)', () => {
  test('two writers share one store chain; each file verifies against its rows, in seq order', T, async () => {
    const store = new FakeStore();
    const fileA = fresh();
    const fileB = fresh();
    const a = await AuditLog.open({ file: fileA, hmacKey: KEY, sink: storeSink(store, { source: 'orchestration/pod-a', hmacKey: KEY }) });
    const b = await AuditLog.open({ file: fileB, hmacKey: KEY, sink: storeSink(store, { source: 'research/pod-b', hmacKey: KEY }) });
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).append(ev(i))));
    await a.close();
    await b.close();
    assert.equal(store.rows.length, 32);
    const entries = (src: string) => store.rows.map((r) => r.record as { source: string; entry: AuditRecord }).filter((r) => r.source === src).map((r) => r.entry.seq);
    assert.deepEqual(entries('orchestration/pod-a'), Array.from({ length: 16 }, (_, i) => i + 1));
    for (const [file, source] of [
      [fileA, 'orchestration/pod-a'],
      [fileB, 'research/pod-b'],
    ] as const) {
      const r = await verifyAudit({ file }, { head: await readHead(headPathFor(file)), hmacKey: KEY, storeRecords: () => store.auditRecords(), storeSource: source });
      assert.equal(r.ok, true, JSON.stringify(r.problems));
    }
    // Without the source, two writers' seqs collide, and it says what to do.
    const mixed = await verifyAudit({ file: fileA }, { hmacKey: KEY, storeRecords: () => store.auditRecords() });
    assert.ok(mixed.problems.some((p) => p.kind === 'duplicate' && /pass the source/.test(p.message)));
  });

  test('the store copy finds a file rewritten with recomputed hashes and its head; an edited store row is found too', T, async () => {
    const store = new FakeStore();
    const file = fresh();
    const log = await AuditLog.open({ file, sink: storeSink(store, { source: 'svc' }) });
    for (let i = 0; i < 5; i++) await log.append(ev(i));
    await log.close();
    // Rewrite from line 3 on, re-hashing every record after it and the head: the file alone passes.
    const recs = await recordsOf(file);
    recs[2] = { ...(recs[2] as AuditRecord), outcome: 'failure' };
    for (let i = 2; i < recs.length; i++) {
      const body = { ...(recs[i] as AuditRecord), prev_hash: i === 0 ? '0'.repeat(64) : (recs[i - 1] as AuditRecord).hash } as Record<string, unknown>;
      recs[i] = { ...body, hash: computeHash(body) } as AuditRecord;
    }
    await writeFile(file, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const last = recs[recs.length - 1] as AuditRecord;
    await writeFile(headPathFor(file), JSON.stringify({ v: 1, alg: 'sha256', seq: last.seq, hash: last.hash, time: last.time }));
    assert.equal((await verifyFile(file)).ok, true, 'a full rewrite passes without an anchor');
    const r = await verifyAudit({ file }, { head: await readHead(headPathFor(file)), storeRecords: () => store.auditRecords(), storeSource: 'svc' });
    assert.deepEqual(r.problems.map((p) => [p.kind, p.line]), [3, 4, 5, 6].map((l) => ['edited', l]));
    // An edited row in the store breaks the store's own chain.
    const rows = await store.auditRecords();
    const row = rows[1] as StoreRowLike;
    row.record = { ...(row.record as object), source: 'svc', entry: { ...(row.record as { entry: AuditRecord }).entry, outcome: 'denied' } };
    const s = await verifyAudit({ text: '' }, { storeRecords: async () => rows, storeSource: 'svc' });
    assert.ok(s.problems.some((p) => p.kind === 'edited' && p.seq === 2 && /store: row 2 does not match its hash/.test(p.message)), JSON.stringify(s.problems));
  });

  test('a failing or hanging sink is counted, bounded by its deadline, and never blocks the file', T, async () => {
    const file = fresh();
    const logger = memoryLogger();
    const mirrored: AuditRecord[] = [];
    const sink: AuditSink = {
      append: async (rec) => {
        if (rec.seq === 2) throw new Error('store down');
        if (rec.seq === 3) return new Promise(() => undefined); // never answers
        mirrored.push(rec);
      },
    };
    const log = await AuditLog.open({ file, sink, sinkTimeoutMs: 50, logger });
    for (let i = 0; i < 4; i++) await log.append(ev(i));
    await log.close();
    assert.equal(log.stats().sink_failures, 2);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && l.obj['seq'] === 2));
    assert.equal((await recordsOf(file)).length, 5);
    const r = await verifyAudit({ file }, { storeRecords: async () => mirrored });
    assert.deepEqual(r.problems.map((p) => [p.kind, p.seq]), [
      ['inserted', 2],
      ['inserted', 3],
    ]);
  });

  test('a source with spaces is refused', T, () => {
    assert.throws(() => storeSink(new FakeStore(), { source: 'my service' }), (e: unknown) => e instanceof AuditError && e.code === 'AUDIT_ERR_CONFIG');
  });
});

describe('auditConfigFromEnv', () => {
  test('defaults, and options for the writer', T, () => {
    const c = auditConfigFromEnv({ AUDIT_LOG_FILE: '/var/log/stats-agent/audit.jsonl' });
    assert.deepEqual({ ...c }, { file: '/var/log/stats-agent/audit.jsonl', hmacKey: undefined, fsync: 'batch', maxQueue: 1000, maxWaitMs: 1000, maxSegmentBytes: 33554432 });
    assert.equal(auditLogOptions(c).file, '/var/log/stats-agent/audit.jsonl');
    assert.equal(auditConfigFromEnv({}).file, undefined);
    assert.throws(() => auditLogOptions(auditConfigFromEnv({})), /AUDIT_LOG_FILE is not set/);
  });

  test('every problem at once, never the key', T, () => {
    assert.throws(
      () => auditConfigFromEnv({ AUDIT_HMAC_KEY: 'tooshort-secret', AUDIT_FSYNC: 'sometimes', AUDIT_QUEUE_MAX: '-1', AUDIT_QUEUE_WAIT_MS: 'soon' }),
      (e: unknown) => e instanceof AuditError && e.code === 'AUDIT_ERR_CONFIG' && e.problems.length === 4 && !e.message.includes('tooshort-secret'),
    );
  });

  test('the key from a mounted file (AUDIT_HMAC_KEY_FILE), one trailing newline trimmed; not both; unreadable named', T, () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-key-'));
    try {
      const keyFile = join(dir, 'hmac-key');
      writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
      assert.equal(auditConfigFromEnv({ AUDIT_HMAC_KEY_FILE: keyFile }).hmacKey, KEY);
      assert.throws(() => auditConfigFromEnv({ AUDIT_HMAC_KEY_FILE: keyFile, AUDIT_HMAC_KEY: KEY }), /not both/);
      assert.throws(
        () => auditConfigFromEnv({ AUDIT_HMAC_KEY_FILE: join(dir, 'missing') }),
        (e: unknown) => e instanceof AuditError && /cannot read .*missing \(ENOENT\)/.test(e.message),
      );
      writeFileSync(keyFile, 'short\n');
      assert.throws(() => auditConfigFromEnv({ AUDIT_HMAC_KEY_FILE: keyFile }), (e: unknown) => e instanceof AuditError && !e.message.includes('short\n') && /at least 32/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the README example', () => {
  test('runs as written: config from the environment, a store sink, record, append, close, verify against the store', T, async () => {
    const file = fresh();
    const store = new FakeStore(); // @stats-agent/store's RunStore in the service
    const logger = memoryLogger();
    const config = auditConfigFromEnv({ AUDIT_LOG_FILE: file, AUDIT_HMAC_KEY: KEY });
    const audit = await AuditLog.open(auditLogOptions(config, { logger, sink: storeSink(store, { source: 'orchestration/pod-1', hmacKey: config.hmacKey }) }));
    audit.record({
      actor: { kind: 'api_key', id: 'key_7f3a' },
      action: 'run.created',
      resource: 'run:run_1',
      outcome: 'success',
      source_ip: '::1',
      request_id: 'req-1',
      detail: { topic: hashTopic('Urban population growth', config.hmacKey) },
    });
    const rec = await audit.append({ actor: { kind: 'spiffe', id: 'spiffe://stats-agent.local/ns/stats-agent/sa/research' }, action: 'mtls.denied', resource: 'rpc:/stats.research.v1.ResearchService/Search', outcome: 'denied' });
    await audit.close();
    assert.equal(rec.seq, 3);
    assert.equal(rec.alg, 'hmac-sha256');
    assert.ok(!(await readFile(file, 'utf8')).toLowerCase().includes('urban'));
    const r = await verifyAudit({ file }, { head: await readHead(headPathFor(file)), hmacKey: KEY, storeRecords: () => store.auditRecords(), storeSource: 'orchestration/pod-1' });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(store.rows.length, 3);
  });
});
