import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuditError } from './errors.js';
import type { AuditHead } from './head.js';
import { computeHash, GENESIS_HASH, normalizeEvent, type AuditRecord } from './record.js';
import { isLaterSegmentName, verifyAudit, type AuditProblem, type ProblemKind, type VerifyOptions } from './verify.js';

const T = { timeout: 10_000 };
const KEY = 'k'.repeat(40);
const ACTIONS = ['auth.success', 'run.created', 'run.finished', 'mtls.denied', 'secret.loaded'] as const;

/** A valid chain of n records, as the writer makes it. */
function chain(n: number, key?: string, firstSeq = 1): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 0; i < n; i++) {
    const fields = normalizeEvent({
      actor: { kind: 'spiffe', id: 'spiffe://stats-agent.local/ns/stats-agent/sa/orchestration' },
      action: ACTIONS[i % ACTIONS.length] as (typeof ACTIONS)[number],
      resource: `run:run_${i}`,
      outcome: i % 3 === 0 ? 'denied' : 'success',
      request_id: `req-${i}`,
      source_ip: '127.0.0.1',
      time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    });
    const body = { v: 1, alg: key ? 'hmac-sha256' : 'sha256', seq: firstSeq + i, ...fields, prev_hash: prev };
    const rec = { ...body, hash: computeHash(body, key) } as AuditRecord;
    out.push(rec);
    prev = rec.hash;
  }
  return out;
}

const rehash = (r: AuditRecord, key?: string): AuditRecord => ({ ...r, hash: computeHash({ ...r }, key) });
const headOf = (recs: AuditRecord[]): AuditHead => {
  const last = recs[recs.length - 1] as AuditRecord;
  return { v: 1, alg: last.alg, seq: last.seq, hash: last.hash, time: last.time };
};
const lines = (recs: Array<AuditRecord | string>): string[] => recs.map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));

async function check(recs: Array<AuditRecord | string>, opts: VerifyOptions = {}) {
  return verifyAudit({ lines: lines(recs) }, opts);
}

function only(problems: AuditProblem[], kind: ProblemKind, line: number | null, seq?: number): void {
  assert.equal(problems.length, 1, `exactly one problem expected, got ${JSON.stringify(problems, null, 1)}`);
  const p = problems[0] as AuditProblem;
  assert.equal(p.kind, kind, p.message);
  assert.equal(p.line, line, p.message);
  if (seq !== undefined) assert.equal(p.seq, seq, p.message);
}

describe('verifyAudit: an intact log', () => {
  test('passes, with the head matching', T, async () => {
    const recs = chain(10);
    const r = await check(recs, { head: headOf(recs) });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.records, 10);
    assert.equal(r.first_seq, 1);
    assert.equal(r.last_seq, 10);
    assert.equal(r.last_hash, recs[9]?.hash);
    assert.deepEqual(r.head?.status, 'matches');
    assert.equal(r.after_head, 0);
  });

  test('an empty log passes', T, async () => {
    const r = await verifyAudit({ text: '' });
    assert.equal(r.ok, true);
    assert.equal(r.records, 0);
    assert.equal(r.last_seq, null);
  });

  test('a head behind the file is a lag, not a problem; records after it are counted', T, async () => {
    const recs = chain(6);
    const r = await check(recs, { head: headOf(recs.slice(0, 4)) });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.head?.status, 'behind');
    assert.equal(r.after_head, 2);
  });

  test('whitespace and key order of a line do not matter (the hash is over the canonical form)', T, async () => {
    const recs = chain(3);
    const reordered = lines(recs).map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(Object.fromEntries(Object.entries(o).reverse()), null, 0).replace(/,/g, ', ');
    });
    const r = await verifyAudit({ lines: reordered });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
  });

  test('a segment that starts with audit.segment_started at a later seq passes', T, async () => {
    const fields = normalizeEvent({ actor: { kind: 'system', id: 'audit' }, action: 'audit.segment_started', resource: 'audit:audit.2.jsonl', outcome: 'success', detail: { reason: 'chain_broken', previous_seq: 40 }, time: new Date(0) });
    const body = { v: 1, alg: 'sha256', seq: 41, ...fields, prev_hash: GENESIS_HASH };
    const start = { ...body, hash: computeHash(body) } as AuditRecord;
    const rest = chain(3, undefined, 42);
    const relinked: AuditRecord[] = [start];
    for (const r of rest) relinked.push(rehash({ ...r, prev_hash: (relinked[relinked.length - 1] as AuditRecord).hash }));
    const r = await check(relinked);
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.first_seq, 41);
    // …but the same chain without its segment record is missing its start.
    const cut = await check(relinked.slice(1));
    assert.equal(cut.ok, false);
    assert.equal(cut.problems[0]?.kind, 'deleted');
    // …and the first segment may not start that way: a cut start with a forged segment record is a deletion.
    only((await check(relinked, { firstSegment: true })).problems, 'deleted', 1, 1);
    assert.equal(isLaterSegmentName('/var/log/audit.2.jsonl'), true);
    assert.equal(isLaterSegmentName('audit.17'), true);
    assert.equal(isLaterSegmentName('/var/log/audit.jsonl'), false);
    assert.equal(isLaterSegmentName('audit.1.jsonl'), false);
  });
});

describe('verifyAudit: every kind of tampering is found and located', () => {
  test('a field edited in place: its own hash is wrong', T, async () => {
    const recs = chain(10);
    recs[4] = { ...(recs[4] as AuditRecord), outcome: 'success' === recs[4]?.outcome ? 'failure' : 'success' };
    only((await check(recs, { head: headOf(recs) })).problems, 'edited', 5, 5);
  });

  test('a field added to a record is an edit', T, async () => {
    const recs = chain(5);
    const l = lines(recs);
    l[2] = (l[2] as string).replace('{', '{"note":"x",');
    only((await verifyAudit({ lines: l })).problems, 'edited', 3, 3);
  });

  test('the seq field edited in place: one problem, no phantom gap', T, async () => {
    const recs = chain(8);
    recs[3] = { ...(recs[3] as AuditRecord), seq: 40 };
    only((await check(recs)).problems, 'edited', 4, 40);
  });

  test('a record edited and re-hashed: the next record no longer chains to it', T, async () => {
    const recs = chain(10);
    recs[4] = rehash({ ...(recs[4] as AuditRecord), actor: { kind: 'api_key', id: 'key_forged' } });
    only((await check(recs, { head: headOf(chain(10)) })).problems, 'edited', 5, 5);
  });

  test('the first record edited and re-hashed', T, async () => {
    const recs = chain(5);
    recs[0] = rehash({ ...(recs[0] as AuditRecord), resource: 'run:changed' });
    only((await check(recs)).problems, 'edited', 1, 1);
  });

  test('the last record edited and re-hashed: the head checkpoint catches it', T, async () => {
    const original = chain(6);
    const recs = [...original];
    recs[5] = rehash({ ...(recs[5] as AuditRecord), resource: 'run:changed' });
    only((await check(recs, { head: headOf(original) })).problems, 'edited', 6, 6);
  });

  test('one record edited and every later hash recomputed: the head checkpoint catches it', T, async () => {
    const original = chain(8);
    const recs = [...original];
    recs[2] = rehash({ ...(recs[2] as AuditRecord), resource: 'run:changed' });
    for (let i = 3; i < recs.length; i++) recs[i] = rehash({ ...(recs[i] as AuditRecord), prev_hash: (recs[i - 1] as AuditRecord).hash });
    assert.equal((await check(recs)).ok, true, 'without an anchor a fully recomputed chain is undetectable');
    only((await check(recs, { head: headOf(original) })).problems, 'edited', 8, 8);
    // The store's copy locates the first changed record.
    const store = await check(recs, { storeRecords: async () => original.map((r) => ({ seq: r.seq, hash: r.hash, prev_hash: r.prev_hash, record: r })) });
    assert.equal(store.ok, false);
    assert.equal(store.problems[0]?.line, 3);
    assert.equal(store.problems[0]?.kind, 'edited');
  });

  test('a record deleted from the middle', T, async () => {
    const recs = chain(10);
    recs.splice(4, 1);
    const r = await check(recs, { head: headOf(chain(10)) });
    only(r.problems, 'deleted', 5, 5);
    assert.match(r.problems[0]?.message ?? '', /seq 5 deleted: missing between line 4 \(seq 4\) and line 5 \(seq 6\)/);
  });

  test('several consecutive records deleted: one problem naming the range', T, async () => {
    const recs = chain(10);
    recs.splice(3, 3);
    const r = await check(recs);
    only(r.problems, 'deleted', 4, 4);
    assert.match(r.problems[0]?.message ?? '', /seqs 4–6 deleted/);
  });

  test('the first record deleted', T, async () => {
    const recs = chain(5).slice(1);
    only((await check(recs)).problems, 'deleted', 1, 1);
  });

  test('the last record deleted: only the head checkpoint can tell', T, async () => {
    const original = chain(5);
    const recs = original.slice(0, 4);
    assert.equal((await check(recs)).ok, true, 'a prefix of a chain is a valid chain');
    const r = await check(recs, { head: headOf(original) });
    only(r.problems, 'truncated', 4, 5);
    assert.equal(r.head?.status, 'ahead');
    assert.match(r.problems[0]?.message ?? '', /head checkpoint records seq 5 but the file ends at seq 4 on line 4/);
  });

  test('every record deleted, the head left: truncated', T, async () => {
    const r = await check([], { head: headOf(chain(3)) });
    only(r.problems, 'truncated', null, 1);
  });

  test('a forged record inserted with a correct link and hash', T, async () => {
    const recs = chain(10);
    const forged = rehash({ ...(recs[5] as AuditRecord), seq: 5, prev_hash: (recs[3] as AuditRecord).hash, resource: 'run:forged' });
    recs.splice(4, 0, forged); // after seq 4
    only((await check(recs)).problems, 'inserted', 5, 5);
  });

  test('a forged record inserted with a made-up seq and link', T, async () => {
    const recs = chain(10);
    const forged = rehash({ ...(recs[0] as AuditRecord), seq: 999, prev_hash: 'a'.repeat(64) });
    recs.splice(6, 0, forged);
    only((await check(recs)).problems, 'inserted', 7, 999);
  });

  test('a forged record inserted with the next seq but no link', T, async () => {
    const recs = chain(10);
    const forged = rehash({ ...(recs[0] as AuditRecord), seq: 7, prev_hash: 'b'.repeat(64) });
    recs.splice(6, 0, forged);
    only((await check(recs)).problems, 'inserted', 7, 7);
  });

  test('a forged record claiming an earlier seq', T, async () => {
    const recs = chain(10);
    const forged = rehash({ ...(recs[1] as AuditRecord), resource: 'run:forged' });
    recs.splice(7, 0, forged);
    only((await check(recs)).problems, 'inserted', 8, 2);
  });

  test('two adjacent records swapped', T, async () => {
    const recs = chain(10);
    [recs[4], recs[5]] = [recs[5] as AuditRecord, recs[4] as AuditRecord];
    only((await check(recs, { head: headOf(chain(10)) })).problems, 'reordered', 5, 6);
  });

  test('a record moved later', T, async () => {
    const recs = chain(10);
    const [moved] = recs.splice(2, 1);
    recs.splice(7, 0, moved as AuditRecord);
    only((await check(recs)).problems, 'reordered', 8, 3);
  });

  test('a record moved earlier', T, async () => {
    const recs = chain(10);
    const [moved] = recs.splice(7, 1);
    recs.splice(2, 0, moved as AuditRecord);
    only((await check(recs)).problems, 'reordered', 3, 8);
  });

  test('a record duplicated', T, async () => {
    const recs = chain(6);
    recs.splice(3, 0, recs[2] as AuditRecord);
    only((await check(recs)).problems, 'duplicate', 4, 3);
    const later = chain(6);
    later.push(later[1] as AuditRecord);
    only((await check(later)).problems, 'duplicate', 7, 2);
  });

  test('a record replaced by a malformed line: malformed, not also a deletion', T, async () => {
    const l = lines(chain(6));
    l[2] = '{"seq": 3, "this is": not json';
    only((await verifyAudit({ lines: l })).problems, 'malformed', 3);
  });

  test('a stray malformed line, a blank line, a non-object and a record without a hash', T, async () => {
    const l = lines(chain(4));
    l.splice(1, 0, 'garbage');
    l.splice(3, 0, '');
    l.splice(5, 0, '[1,2]');
    const noHash = JSON.parse(l[0] as string) as Record<string, unknown>;
    delete noHash['hash'];
    l.push(JSON.stringify(noHash));
    const r = await verifyAudit({ lines: l });
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.line]),
      [
        ['malformed', 2],
        ['malformed', 4],
        ['malformed', 6],
        ['malformed', 8],
      ],
    );
  });

  test('a partial last line (the write was cut off)', T, async () => {
    const original = chain(5);
    const text = lines(original).join('\n') + '\n';
    const cut = text.slice(0, text.length - 40);
    const r = await verifyAudit({ text: cut }, { head: headOf(original) });
    assert.equal(r.complete_last_line, false);
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.line]),
      [
        ['truncated', 4],
        ['truncated', 5],
      ],
    );
    assert.ok(r.problems.some((p) => /incomplete record at the end/.test(p.message)));
  });

  test('a line longer than the limit is malformed, not read into memory whole', T, async () => {
    const l = lines(chain(3));
    l.splice(1, 0, `{"x":"${'y'.repeat(70 * 1024)}"}`);
    const r = await verifyAudit({ lines: l });
    assert.equal(r.problems[0]?.kind, 'malformed');
    assert.match(r.problems[0]?.message ?? '', /longer than/);
  });

  test('exhaustively: each tampering at each position of logs of 1–9 records is found at its line', T, async () => {
    let cases = 0;
    for (let n = 1; n <= 9; n++) {
      const original = chain(n);
      const head = headOf(original);
      for (let i = 0; i < n; i++) {
        const expect = async (recs: AuditRecord[], kind: ProblemKind, line: number | null, what: string): Promise<void> => {
          cases += 1;
          const r = await check(recs, { head });
          assert.equal(r.ok, false, `${what} at ${i} of ${n} not found`);
          assert.ok(
            r.problems.some((p) => p.kind === kind && p.line === line),
            `${what} at ${i} of ${n}: expected ${kind} at line ${line}, got ${JSON.stringify(r.problems.map((p) => [p.kind, p.line]))}`,
          );
        };
        const edited = [...original];
        edited[i] = { ...(original[i] as AuditRecord), resource: 'run:changed' };
        await expect(edited, 'edited', i + 1, 'edit');
        const rehashed = [...original];
        rehashed[i] = rehash({ ...(original[i] as AuditRecord), resource: 'run:changed' });
        await expect(rehashed, 'edited', i + 1, 'edit+rehash');
        const deleted = original.filter((_, j) => j !== i);
        if (i < n - 1) await expect(deleted, 'deleted', i + 1, 'delete');
        else await expect(deleted, 'truncated', n === 1 ? null : n - 1, 'delete last');
        const forged = rehash({ ...(original[i] as AuditRecord), seq: i + 2, prev_hash: (original[i] as AuditRecord).hash, resource: 'run:forged' });
        if (i < n - 1) await expect([...original.slice(0, i + 1), forged, ...original.slice(i + 1)], 'inserted', i + 2, 'insert');
        if (i < n - 1) {
          const swapped = [...original];
          [swapped[i], swapped[i + 1]] = [original[i + 1] as AuditRecord, original[i] as AuditRecord];
          await expect(swapped, 'reordered', i + 1, 'swap');
        }
        await expect([...original.slice(0, i + 1), original[i] as AuditRecord, ...original.slice(i + 1)], 'duplicate', i + 2, 'duplicate');
      }
    }
    assert.ok(cases > 200);
  });
});

describe('verifyAudit: keyed chains', () => {
  test('a keyed chain passes with its key', T, async () => {
    const recs = chain(5, KEY);
    const r = await check(recs, { hmacKey: KEY, head: headOf(recs) });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.keyed, true);
  });

  test('a keyed chain needs the key', T, async () => {
    await assert.rejects(check(chain(3, KEY)), (err: unknown) => err instanceof AuditError && err.code === 'AUDIT_ERR_KEY_REQUIRED');
  });

  test('a keyed log rewritten with plain recomputed hashes is rejected with the key, on every line', T, async () => {
    const plain = chain(5); // what someone who can rewrite the file but lacks the key can produce
    const r = await check(plain, { hmacKey: KEY });
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.line]),
      [1, 2, 3, 4, 5].map((l) => ['edited', l]),
    );
    assert.match(r.problems[0]?.message ?? '', /plain sha256 hash but the log is verified with a key/);
  });

  test('a keyed log recomputed with a guessed key is rejected on every line', T, async () => {
    const forged = chain(4, 'x'.repeat(40));
    const r = await check(forged, { hmacKey: KEY });
    assert.equal(r.problems.length, 4);
    assert.ok(r.problems.every((p) => p.kind === 'edited' && /HMAC does not match/.test(p.message)));
  });

  test('a forged record appended to a keyed log is found; appended to a plain log it is only counted after the head', T, async () => {
    const keyed = chain(4, KEY);
    const forged = rehash({ ...(keyed[3] as AuditRecord), seq: 5, prev_hash: (keyed[3] as AuditRecord).hash, alg: 'hmac-sha256' }, 'y'.repeat(40));
    only((await check([...keyed, forged], { hmacKey: KEY, head: headOf(keyed) })).problems, 'edited', 5, 5);
    const plain = chain(4);
    const plainForged = rehash({ ...(plain[3] as AuditRecord), seq: 5, prev_hash: (plain[3] as AuditRecord).hash });
    const r = await check([...plain, plainForged], { head: headOf(plain) });
    assert.equal(r.ok, true);
    assert.equal(r.after_head, 1);
  });
});

describe('verifyAudit: against the store copy', () => {
  const rows = (recs: AuditRecord[]) => async () => recs.map((r) => ({ seq: r.seq, hash: r.hash, prev_hash: r.prev_hash, record: r }));

  test('an intact file and an intact store agree; a store that lags is fine', T, async () => {
    const recs = chain(6);
    assert.equal((await check(recs, { storeRecords: rows(recs) })).ok, true);
    assert.equal((await check(recs, { storeRecords: rows(recs.slice(0, 3)) })).ok, true);
  });

  test('records deleted from the end of the file (no head) are found through the store', T, async () => {
    const recs = chain(6);
    const r = await check(recs.slice(0, 4), { storeRecords: rows(recs) });
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.seq]),
      [
        ['truncated', 5],
        ['truncated', 6],
      ],
    );
  });

  test('a record missing from the store, one edited in the store, one store row not a record', T, async () => {
    const recs = chain(6);
    const store: unknown[] = recs.filter((r) => r.seq !== 3).map((r) => ({ seq: r.seq, hash: r.hash, prev_hash: r.prev_hash, record: r.seq === 5 ? { ...r, outcome: 'failure' } : r }));
    store.push({ nope: true });
    const r = await check(recs, { storeRecords: async () => store as never });
    const kinds = r.problems.map((p) => [p.kind, p.line, p.seq]);
    assert.ok(kinds.some(([k, l, s]) => k === 'inserted' && l === 3 && s === 3), JSON.stringify(kinds));
    assert.ok(kinds.some(([k, l, s]) => k === 'edited' && l === null && s === 5), JSON.stringify(kinds));
    assert.ok(kinds.some(([k]) => k === 'malformed'), JSON.stringify(kinds));
  });

  test('records from an async iterable', T, async () => {
    const recs = chain(3);
    async function* gen() {
      for (const r of recs) yield r;
    }
    assert.equal((await check(recs, { storeRecords: async () => gen() })).ok, true);
  });
});

describe('verifyAudit: random tampering (seeded)', () => {
  test('any change to the lines of a log with its head is found, and every problem points into the file', T, async () => {
    let state = 0x9e3779b9;
    const rand = (n: number): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const original = lines(chain(12));
    const head = headOf(chain(12));
    let changed = 0;
    for (let round = 0; round < 1500; round++) {
      const l = [...original];
      for (let ops = 1 + rand(3); ops > 0 && l.length > 0; ops--) {
        const i = rand(l.length);
        let rec: AuditRecord;
        try {
          rec = JSON.parse(l[i] as string) as AuditRecord;
        } catch {
          l.splice(i, 1); // an already cut line: delete it
          continue;
        }
        switch (rand(7)) {
          case 0: // edit
            l[i] = JSON.stringify({ ...rec, resource: `run:x${round}` });
            break;
          case 1: // edit and re-hash
            l[i] = JSON.stringify(rehash({ ...rec, outcome: rec.outcome === 'denied' ? 'success' : 'denied' }));
            break;
          case 2: // delete
            l.splice(i, 1);
            break;
          case 3: // insert a forged record chained to this one
            l.splice(i + 1, 0, JSON.stringify(rehash({ ...rec, seq: rec.seq + 1, prev_hash: rec.hash, resource: `run:f${round}` })));
            break;
          case 4: {
            const j = rand(l.length);
            [l[i], l[j]] = [l[j] as string, l[i] as string];
            break;
          }
          case 5:
            l.splice(rand(l.length + 1), 0, l[i] as string);
            break;
          default:
            l[i] = (l[i] as string).slice(0, rand((l[i] as string).length));
        }
      }
      if (l.join('\n') === original.join('\n')) continue;
      changed += 1;
      const r = await verifyAudit({ lines: l }, { head });
      if (r.ok) {
        // The one change a plain chain with a head cannot see: well-formed records appended after the head.
        assert.deepEqual(l.slice(0, original.length), original, `round ${round}: not found`);
        assert.ok(r.after_head > 0, `round ${round}: appended records not counted`);
        continue;
      }
      for (const p of r.problems) assert.ok(p.line === null || (p.line >= 1 && p.line <= l.length), `round ${round}: line ${p.line} outside the file`);
    }
    assert.ok(changed > 1000);
  });
});
