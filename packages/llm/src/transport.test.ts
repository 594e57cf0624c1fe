// Retries, deadlines, caps and concurrency, against a local fake of the OpenAI API. Waits
// between attempts are recorded by an injected sleep instead of being timed.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { LlmError } from './errors.js';
import { createExtractor, type LlmExtractorOptions } from './extractor.js';
import { SAMPLE_PAGE, SAMPLE_STATISTICS, openAiAnswer, startFakeLlm, statisticsJson, type FakeReply, type RecordedRequest } from './testing.js';

const KEY = 'sk-proj-TESTKEY0123456789abcdefghijklmnop';
const INPUT = { topic: 'solar electricity', pageText: SAMPLE_PAGE, title: 'Renewables 2023', url: 'https://energy.example.org/2023', maxCandidates: 10 };
const OK: FakeReply = { body: openAiAnswer(statisticsJson(SAMPLE_STATISTICS)) };

async function withOpenAi(
  reply: (req: RecordedRequest, i: number) => FakeReply | Promise<FakeReply>,
  run: (ex: ReturnType<typeof createExtractor>, requests: RecordedRequest[], sleeps: number[]) => Promise<void>,
  opts: Partial<LlmExtractorOptions> = {},
): Promise<void> {
  const fake = await startFakeLlm(reply);
  const sleeps: number[] = [];
  const ex = createExtractor({
    provider: 'openai',
    baseUrl: `${fake.url}/v1`,
    apiKey: () => KEY,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...opts,
  });
  try {
    await run(ex, fake.requests, sleeps);
  } finally {
    await ex.close();
    await fake.close();
  }
}

/** Polls `cond` between event-loop turns; gives up after 5000 turns (the test then fails, not hangs). */
async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error('waitFor: condition never held');
}

const isLlm = (code: string, message?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof LlmError, `an LlmError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  assert.equal(err.provider, 'openai');
  assert.ok(err.message.startsWith('llm(openai): '));
  assert.ok(!err.message.includes(KEY), 'the key is never in the message');
  if (message) assert.match(err.message, message);
  return true;
};

test('429 with Retry-After waits as asked, then succeeds', { timeout: 10_000 }, async () => {
  const limited: FakeReply = { status: 429, headers: { 'retry-after': '2' }, body: { error: { message: 'Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3.', type: 'requests', code: 'rate_limit_exceeded' } } };
  await withOpenAi((_r, i) => (i === 0 ? limited : OK), async (ex, requests, sleeps) => {
    const result = await ex.extract(INPUT);
    assert.equal(result.candidates.length, 2);
    assert.equal(result.stats.attempts, 2);
    assert.equal(requests.length, 2);
    assert.deepEqual(sleeps, [2000]);
  });
});

test('a Retry-After beyond the cap fails at once instead of waiting', { timeout: 10_000 }, async () => {
  const limited: FakeReply = { status: 429, headers: { 'retry-after': '120' }, body: { error: { message: 'Rate limit reached', type: 'tokens', code: 'rate_limit_exceeded' } } };
  await withOpenAi(() => limited, async (ex, requests, sleeps) => {
    await assert.rejects(ex.extract(INPUT), isLlm('LLM_ERR_RATE_LIMITED', /Retry-After 120 s is beyond the 20 s cap/));
    assert.equal(requests.length, 1);
    assert.deepEqual(sleeps, []);
  });
});

test('500 is retried twice with growing back-off, then a clear error', { timeout: 10_000 }, async () => {
  const broken: FakeReply = { status: 500, body: { error: { message: 'The server had an error while processing your request.', type: 'server_error', code: null } } };
  await withOpenAi(() => broken, async (ex, requests, sleeps) => {
    await assert.rejects(ex.extract(INPUT), isLlm('LLM_ERR_UNAVAILABLE', /server error after 3 attempts \(HTTP 500\): server_error: The server had an error/));
    assert.equal(requests.length, 3);
    assert.equal(sleeps.length, 2);
    assert.ok(sleeps[0]! >= 250 && sleeps[0]! <= 500, `first back-off ${sleeps[0]}`);
    assert.ok(sleeps[1]! >= 500 && sleeps[1]! <= 1000, `second back-off ${sleeps[1]}`);
  });
});

test('an exhausted quota (429 insufficient_quota) is not retried', { timeout: 10_000 }, async () => {
  const quota: FakeReply = { status: 429, body: { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', code: 'insufficient_quota' } } };
  await withOpenAi(() => quota, async (ex, requests) => {
    await assert.rejects(ex.extract(INPUT), isLlm('LLM_ERR_QUOTA', /quota or spend limit exhausted \(HTTP 429\)/));
    assert.equal(requests.length, 1);
  });
});

test('401 names the provider and never carries the key, even when the API echoes it', { timeout: 10_000 }, async () => {
  const masked = `${KEY.slice(0, 8)}${'*'.repeat(24)}${KEY.slice(-4)}`;
  const unauthorized: FakeReply = {
    status: 401,
    body: { error: { message: `Incorrect API key provided: ${masked}. Full: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`, type: 'invalid_request_error', code: 'invalid_api_key' } },
  };
  await withOpenAi(() => unauthorized, async (ex, requests) => {
    await assert.rejects(ex.extract(INPUT), (err: unknown) => {
      isLlm('LLM_ERR_AUTH', /^llm\(openai\): authentication failed \(HTTP 401\): invalid_api_key: Incorrect API key provided/)(err);
      const e = err as LlmError;
      assert.ok(!e.message.includes(masked) && !e.message.includes(KEY.slice(-12)));
      assert.ok(!JSON.stringify({ ...e, cause: String(e.cause) }).includes(KEY));
      return true;
    });
    assert.equal(requests.length, 1);
  });
});

test('a missing key fails before any request; the key function is read at every request', { timeout: 10_000 }, async () => {
  let key = '';
  await withOpenAi(() => ({ status: 503, body: { error: { message: 'busy', type: 'server_error' } } }), async (ex, requests) => {
    await assert.rejects(ex.extract(INPUT), isLlm('LLM_ERR_AUTH', /no API key/));
    assert.equal(requests.length, 0);
  }, { apiKey: () => key });
  let n = 0;
  await withOpenAi((_r, i) => (i === 0 ? { status: 503, body: {} } : OK), async (ex, requests) => {
    await ex.extract(INPUT);
    assert.equal(requests[0]?.headers.authorization, 'Bearer sk-first-key');
    assert.equal(requests[1]?.headers.authorization, 'Bearer sk-rotated-key');
  }, { apiKey: () => (n++ === 0 ? 'sk-first-key' : 'sk-rotated-key') });
  key = 'unused';
});

test('the deadline ends a call the server never answers', { timeout: 10_000 }, async () => {
  await withOpenAi(() => ({ hang: true }), async (ex, requests) => {
    await assert.rejects(ex.extract(INPUT), isLlm('LLM_ERR_TIMEOUT', /no answer within 200 ms/));
    assert.equal(requests.length, 1, 'a timed-out call is not retried past its deadline');
  }, { timeoutMs: 200 });
});

test('the caller aborting ends the call with LLM_ERR_ABORTED', { timeout: 10_000 }, async () => {
  const ac = new AbortController();
  await withOpenAi(() => {
    setImmediate(() => ac.abort(new Error('client went away')));
    return { hang: true };
  }, async (ex) => {
    await assert.rejects(ex.extract({ ...INPUT, signal: ac.signal }), isLlm('LLM_ERR_ABORTED'));
  });
});

test('an oversize body is refused, with or without Content-Length', { timeout: 10_000 }, async () => {
  const huge = Buffer.alloc(3 * 1024 * 1024, 0x20);
  for (const headers of [{}, { 'transfer-encoding': 'chunked' }] as Array<Record<string, string>>) {
    await withOpenAi(() => ({ headers, body: huge }), async (ex, requests) => {
      await assert.rejects(ex.extract(INPUT), isLlm('LLM_ERR_TOO_LARGE', /exceeds 2097152 bytes/));
      assert.equal(requests.length, 1);
    });
  }
});

test('a 2xx body that is not JSON is a clear error', { timeout: 10_000 }, async () => {
  await withOpenAi(() => ({ headers: { 'content-type': 'text/html' }, body: '<html>proxy login</html>' }), async (ex) => {
    await assert.rejects(ex.extract(INPUT), isLlm('LLM_ERR_BAD_RESPONSE', /not JSON/));
  });
});

test('connection resets are retried, then a network error', { timeout: 10_000 }, async () => {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const sleeps: number[] = [];
  const ex = createExtractor({ provider: 'openai', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: () => KEY, sleep: async (ms) => void sleeps.push(ms) });
  try {
    await assert.rejects(ex.extract(INPUT), isLlm('LLM_ERR_NETWORK', /after 3 attempts/));
    assert.equal(connections, 3);
    assert.equal(sleeps.length, 2);
  } finally {
    await ex.close();
    server.close();
  }
});

test('at most maxConcurrent calls are in flight; a full queue is refused', { timeout: 10_000 }, async () => {
  let inFlight = 0;
  let peak = 0;
  const release: Array<() => void> = [];
  await withOpenAi(async () => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise<void>((resolve) => release.push(resolve));
    inFlight--;
    return OK;
  }, async (ex) => {
    const calls = [ex.extract(INPUT), ex.extract(INPUT), ex.extract(INPUT)];
    await assert.rejects(ex.extract(INPUT), (err: unknown) => err instanceof LlmError && err.code === 'LLM_ERR_BUSY');
    // Answer each request once it has arrived; the next may only arrive after that.
    for (let answered = 0; answered < 3; ) {
      await waitFor(() => release.length > 0);
      assert.equal(release.length, 1, 'never two requests in flight');
      release.shift()?.();
      answered++;
    }
    const results = await Promise.all(calls);
    assert.equal(results.length, 3);
    assert.equal(peak, 1);
  }, { maxConcurrent: 1, maxQueued: 2 });
});
