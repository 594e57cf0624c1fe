// The Extract handler with LLM_PROVIDER=openai against a local fake of the OpenAI API and a
// local page server: real config, real fetcher, real extractor, real HTTP.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { extractCandidates } from '@stats-agent/extractor';
import { createExtractor, type LlmExtractor } from '@stats-agent/llm';
import {
  SAMPLE_INJECTION,
  SAMPLE_PAGE,
  SAMPLE_STATISTICS,
  assertOnlyInDataBlock,
  openAiAnswer,
  startFakeLlm,
  statisticsJson,
  type FakeLlmServer,
} from '@stats-agent/llm/testing';
import { createLogger } from '@stats-agent/logging';
import type { CandidateStatistic__Output, SourceOutcome__Output } from '@stats-agent/proto';
import type { CallContext } from '@stats-agent/rpc';
import { PageFetcher } from '@stats-agent/safe-fetch';
import { limitText, readPage } from '@stats-agent/text';
import { loadSecrets, type Secrets } from '@stats-agent/secrets';
import { llmSettings, loadConfig, synthesisSecrets } from '../config.js';
import { extractHandler } from './extract.js';

const T = { timeout: 20_000 };
const KEY = 'sk-proj-INTEGRATIONKEY0123456789abcdef';
const html = (text: string) => `<html><head><title>Renewables 2023</title></head><body><main>${text
  .split('\n\n')
  .map((p) => `<p>${p}</p>`)
  .join('')}</main></body></html>`;

let pages: Server;
let pageBase = '';
let fake: FakeLlmServer;
let fetcher: PageFetcher;
let llm: LlmExtractor;
let secrets: Secrets;
const logLines: string[] = [];

before(async () => {
  pages = createServer((req, res) => {
    if (req.url === '/good.html' || req.url === '/refused.html') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html(SAMPLE_PAGE));
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
  const { port } = pages.address() as AddressInfo;
  pageBase = `http://127.0.0.1:${port}`;
  fetcher = new PageFetcher({ allow: [`127.0.0.1:${port}`], timeoutMs: 2_000, maxBytes: 100_000 });
  // The fake answers by page: good.html gets statistics (one invented), refused.html a 401 that echoes the key.
  fake = await startFakeLlm((req) => {
    const user = JSON.stringify(req.body);
    if (user.includes('/refused.html')) return { status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}.`, type: 'invalid_request_error', code: 'invalid_api_key' } } };
    return { body: openAiAnswer(statisticsJson(SAMPLE_STATISTICS)) };
  });
  const env = { SPIFFE_ENDPOINT_SOCKET: 'unix:///tmp/agent.sock', LLM_PROVIDER: 'openai', OPENAI_API_KEY: KEY, LLM_BASE_URL: `${fake.url}/v1` };
  const config = loadConfig(env);
  // As main.ts does: the key through @stats-agent/secrets, registered with the log scrubber.
  secrets = await loadSecrets({ env, declare: synthesisSecrets(config), refreshIntervalMs: 0 });
  const settings = llmSettings(config, secrets);
  assert.ok(settings);
  llm = createExtractor(settings);
});

after(async () => {
  await llm.close();
  await secrets.close();
  await fetcher.close();
  await fake.close();
  pages.closeAllConnections();
  await new Promise((r) => pages.close(r));
});

function ctx(): CallContext {
  return {
    requestId: 'test',
    logger: createLogger({ service: 'test', destination: new Writable({ write: (c: Buffer, _e, cb) => (logLines.push(c.toString()), cb()) }) }),
    caller: undefined,
    signal: new AbortController().signal,
    remainingMs: () => undefined,
  };
}

const source = (path: string) => ({
  url: `${pageBase}${path}`,
  title: 'Renewables 2023',
  snippet: '',
  domain: '127.0.0.1',
  position: 0,
  score: 1,
  reputation_tier: 'other',
  publisher: 'Energy Agency',
  publisher_domain: '',
});

describe('synthesis Extract with LLM_PROVIDER=openai', T, () => {
  test('candidates come from the LLM, excerpts are in the page, LLM errors are per-source reasons', T, async () => {
    const handler = extractHandler({ fetcher, concurrency: 2, maxPerPage: 25, llm });
    const res = await handler({ topic: 'solar electricity', sources: [source('/good.html'), source('/refused.html'), source('/missing.html')], max_candidates: 0 }, ctx());
    const sources = (res.sources ?? []) as SourceOutcome__Output[];
    const candidates = (res.candidates ?? []) as CandidateStatistic__Output[];

    assert.deepEqual(
      sources.map((s) => [s.url.slice(pageBase.length), s.fetched, s.reason, s.candidates]),
      [
        ['/good.html', true, '', 2],
        ['/refused.html', true, 'llm_auth', 0],
        ['/missing.html', false, 'fetch_http_status', 0],
      ],
    );
    const page = await fetcher.fetch(`${pageBase}/good.html`);
    const text = (await readPage(page)).text;
    assert.deepEqual(candidates.map((c) => c.value).sort((a, b) => a - b), [13.4, 1_600_000]);
    for (const c of candidates) {
      assert.ok(text.includes(c.excerpt), `excerpt in page: ${c.excerpt}`);
      assert.equal(c.source, 'Energy Agency');
      assert.equal(c.source_url, `${pageBase}/good.html`);
    }
    // Only the fetched pages went to the model, each with its text only inside the data block.
    assert.equal(fake.requests.length, 2);
    for (const req of fake.requests) {
      assert.equal(req.path, '/v1/chat/completions');
      assert.equal(req.headers.authorization, `Bearer ${KEY}`);
      const messages = (req.body as { messages: Array<{ role: string; content: string }> }).messages;
      assertOnlyInDataBlock(messages[1]?.content ?? '', SAMPLE_INJECTION);
    }
    // The logs say what happened and never carry the key.
    const logs = logLines.join('');
    assert.match(logs, /"reason":"llm_auth"/);
    assert.match(logs, /"msg":"llm extraction done"/);
    assert.ok(!logs.includes(KEY));
  });

  test('without an LLM the handler gives exactly the rule-based candidates', T, async () => {
    const handler = extractHandler({ fetcher, concurrency: 2, maxPerPage: 25 });
    const before = fake.requests.length;
    const res = await handler({ topic: 'solar electricity', sources: [source('/good.html')], max_candidates: 0 }, ctx());
    const page = await fetcher.fetch(`${pageBase}/good.html`);
    const expected = extractCandidates(limitText(await readPage(page), 30_000), {
      topic: 'solar electricity',
      sourceName: 'Energy Agency',
      sourceUrl: `${pageBase}/good.html`,
      maxCandidates: 25,
    });
    assert.deepEqual(res.candidates, expected);
    assert.equal(fake.requests.length, before, 'the LLM is not called');
  });
});
