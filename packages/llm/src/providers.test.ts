// Each provider against a local fake of its API: the exact request shape, realistic answers,
// the page sent only as data, invented excerpts dropped, refusals, blocks and truncation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LlmError } from './errors.js';
import { createExtractor } from './extractor.js';
import { jsonSchema, geminiSchema, OUTPUT_NAME } from './output.js';
import { DOCUMENT_CLOSE, DOCUMENT_OPEN, SYSTEM_PROMPT } from './prompt.js';
import {
  assertOnlyInDataBlock,
  SAMPLE_INJECTION,
  SAMPLE_PAGE,
  SAMPLE_STATISTICS,
  anthropicAnswer,
  geminiAnswer,
  openAiAnswer,
  startFakeLlm,
  statisticsJson,
  type FakeReply,
  type RecordedRequest,
} from './testing.js';
import type { LlmProviderName } from './types.js';

const KEY = 'sk-test-FAKEKEY0123456789abcdefXYZ';
const INPUT = { topic: 'solar electricity', pageText: SAMPLE_PAGE, title: 'Renewables 2023', url: 'https://energy.example.org/2023', sourceName: 'Energy Agency', maxCandidates: 10 };

async function withFake(
  provider: LlmProviderName,
  reply: (req: RecordedRequest, i: number) => FakeReply,
  run: (ex: ReturnType<typeof createExtractor>, requests: RecordedRequest[]) => Promise<void>,
  opts: { path?: string; timeoutMs?: number; apiKey?: (() => string) | null } = {},
): Promise<void> {
  const fake = await startFakeLlm(reply);
  const ex = createExtractor({
    provider,
    model: provider === 'vllm' ? 'Qwen/Qwen2.5-7B-Instruct' : undefined,
    baseUrl: fake.url + (opts.path ?? ''),
    apiKey: opts.apiKey === null ? undefined : (opts.apiKey ?? (() => KEY)),
    retryBaseMs: 1,
    timeoutMs: opts.timeoutMs ?? 10_000,
  });
  try {
    await run(ex, fake.requests);
  } finally {
    await ex.close();
    await fake.close();
  }
}

function body(req: RecordedRequest | undefined): Record<string, unknown> {
  assert.ok(req !== undefined, 'a request was made');
  assert.equal(typeof req.body, 'object');
  return req.body as Record<string, unknown>;
}

function assertTwoGoodCandidates(result: Awaited<ReturnType<ReturnType<typeof createExtractor>['extract']>>): void {
  assert.deepEqual(
    result.candidates.map((c) => [c.name, c.value, c.unit, c.period]),
    [
      ['Share of electricity from wind and solar', 13.4, '%', '2023'],
      ['Installed solar capacity', 1_600_000, 'MW', '2023'],
    ],
  );
  for (const c of result.candidates) {
    assert.ok(SAMPLE_PAGE.includes(c.excerpt));
    assert.equal(c.source, 'Energy Agency');
    assert.equal(c.source_url, INPUT.url);
  }
  assert.equal(result.stats.returned, 3);
  assert.equal(result.stats.notInPage, 1, 'the invented statistic is dropped');
}

// ---------------------------------------------------------------- OpenAI-compatible

test('openai: exact request shape, page only as data, invented excerpt dropped', { timeout: 10_000 }, async () => {
  await withFake('openai', () => ({ body: openAiAnswer(statisticsJson(SAMPLE_STATISTICS)) }), async (ex, requests) => {
    const result = await ex.extract(INPUT);
    assertTwoGoodCandidates(result);
    assert.equal(requests.length, 1);
    const req = requests[0];
    assert.equal(req?.method, 'POST');
    assert.equal(req?.path, '/v1/chat/completions');
    assert.equal(req?.headers.authorization, `Bearer ${KEY}`);
    assert.match(String(req?.headers['content-type']), /^application\/json/);
    const b = body(req);
    assert.equal(b['model'], 'gpt-4o-mini');
    assert.equal(b['max_completion_tokens'], 8192);
    assert.equal(b['max_tokens'], undefined);
    assert.deepEqual(b['response_format'], { type: 'json_schema', json_schema: { name: OUTPUT_NAME, strict: true, schema: jsonSchema() } });
    const messages = b['messages'] as Array<{ role: string; content: string }>;
    assert.equal(messages.length, 2);
    assert.deepEqual(messages[0], { role: 'system', content: SYSTEM_PROMPT });
    assert.equal(messages[1]?.role, 'user');
    assertOnlyInDataBlock(messages[1]?.content ?? '', SAMPLE_INJECTION);
    assertOnlyInDataBlock(messages[1]?.content ?? '', 'Installed solar capacity reached 1.6 million megawatts');
    assert.ok(!JSON.stringify(messages[0]).includes(SAMPLE_INJECTION));
  }, { path: '/v1' });
});

test('xai, ollama and vllm use the same API; ollama and vllm need no key', { timeout: 10_000 }, async () => {
  for (const provider of ['xai', 'ollama', 'vllm'] as const) {
    await withFake(provider, () => ({ body: openAiAnswer(statisticsJson(SAMPLE_STATISTICS)) }), async (ex, requests) => {
      assertTwoGoodCandidates(await ex.extract(INPUT));
      const req = requests[0];
      assert.equal(req?.path, '/v1/chat/completions');
      const b = body(req);
      assert.equal(b['max_tokens'], 8192);
      assert.equal(b['max_completion_tokens'], undefined);
      if (provider === 'xai') {
        assert.equal(req?.headers.authorization, `Bearer ${KEY}`);
        assert.equal(b['model'], 'grok-3-mini');
      } else {
        assert.equal(req?.headers.authorization, undefined, `${provider}: no authorization header without a key`);
        assert.equal(b['temperature'], 0);
      }
    }, { path: '/v1', apiKey: provider === 'xai' ? undefined : null });
  }
});

test('openai: a refusal, a content filter and finish_reason length are clear errors, not retried', { timeout: 10_000 }, async () => {
  const cases: Array<[FakeReply, string, RegExp]> = [
    [{ body: openAiAnswer(null, { refusal: "I'm sorry, I can't help with that." }) }, 'LLM_ERR_REFUSED', /refused: I'm sorry/],
    [{ body: openAiAnswer('{"statistics": [', { finishReason: 'length' }) }, 'LLM_ERR_TRUNCATED', /token limit/],
    [{ body: openAiAnswer(null, { finishReason: 'content_filter' }) }, 'LLM_ERR_REFUSED', /content filter/],
  ];
  for (const [reply, code, message] of cases) {
    await withFake('openai', () => reply, async (ex, requests) => {
      await assert.rejects(ex.extract(INPUT), (err: unknown) => err instanceof LlmError && err.code === code && message.test(err.message) && err.message.startsWith('llm(openai): '));
      assert.equal(requests.length, 1);
    });
  }
});

test('openai: invalid JSON is asked again once, then succeeds', { timeout: 10_000 }, async () => {
  const replies = [openAiAnswer('Here are the statistics: 13.4%'), openAiAnswer(statisticsJson(SAMPLE_STATISTICS))];
  await withFake('openai', (_r, i) => ({ body: replies[i] }), async (ex, requests) => {
    const result = await ex.extract(INPUT);
    assertTwoGoodCandidates(result);
    assert.equal(requests.length, 2);
    assert.equal(result.stats.attempts, 2);
    assert.deepEqual(requests[0]?.body, requests[1]?.body, 'the same request is sent again');
  });
});

test('openai: invalid output twice is a clear error', { timeout: 10_000 }, async () => {
  await withFake('openai', () => ({ body: openAiAnswer('{"stats": []}') }), async (ex, requests) => {
    await assert.rejects(ex.extract(INPUT), (err: unknown) => err instanceof LlmError && err.code === 'LLM_ERR_INVALID_OUTPUT' && /unusable twice/.test(err.message));
    assert.equal(requests.length, 2);
  });
});

test('openai: items of the wrong type are dropped and counted, not fatal', { timeout: 10_000 }, async () => {
  const content = JSON.stringify({ statistics: [{ ...SAMPLE_STATISTICS[0], value: 'thirteen' }, { ...SAMPLE_STATISTICS[1], unit: 'MW', period: '2023' }] });
  await withFake('openai', () => ({ body: openAiAnswer(content) }), async (ex) => {
    const result = await ex.extract(INPUT);
    assert.equal(result.candidates.length, 1);
    assert.equal(result.stats.invalid, 1);
  });
});

// ---------------------------------------------------------------- Anthropic

test('anthropic: exact request shape (forced tool), tool_use input read, invented excerpt dropped', { timeout: 10_000 }, async () => {
  const input = JSON.parse(statisticsJson(SAMPLE_STATISTICS)) as unknown;
  await withFake('anthropic', () => ({ body: anthropicAnswer(input) }), async (ex, requests) => {
    assertTwoGoodCandidates(await ex.extract(INPUT));
    const req = requests[0];
    assert.equal(req?.method, 'POST');
    assert.equal(req?.path, '/v1/messages');
    assert.equal(req?.headers['x-api-key'], KEY);
    assert.equal(req?.headers['anthropic-version'], '2023-06-01');
    assert.equal(req?.headers.authorization, undefined);
    const b = body(req);
    assert.equal(b['model'], 'claude-haiku-4-5');
    assert.equal(b['max_tokens'], 8192);
    assert.equal(b['system'], SYSTEM_PROMPT);
    assert.deepEqual(b['tool_choice'], { type: 'tool', name: OUTPUT_NAME });
    const tools = b['tools'] as Array<{ name: string; input_schema: unknown }>;
    assert.equal(tools.length, 1);
    assert.equal(tools[0]?.name, OUTPUT_NAME);
    assert.deepEqual(tools[0]?.input_schema, jsonSchema());
    const messages = b['messages'] as Array<{ role: string; content: string }>;
    assert.equal(messages.length, 1);
    assert.equal(messages[0]?.role, 'user');
    assertOnlyInDataBlock(messages[0]?.content ?? '', SAMPLE_INJECTION);
  });
});

test('anthropic: stop_reason refusal and max_tokens, and a missing tool_use block', { timeout: 10_000 }, async () => {
  await withFake('anthropic', () => ({ body: anthropicAnswer({}, { stopReason: 'refusal' }) }), async (ex) => {
    await assert.rejects(ex.extract(INPUT), (err: unknown) => err instanceof LlmError && err.code === 'LLM_ERR_REFUSED');
  });
  await withFake('anthropic', () => ({ body: anthropicAnswer({ statistics: [] }, { stopReason: 'max_tokens' }) }), async (ex) => {
    await assert.rejects(ex.extract(INPUT), (err: unknown) => err instanceof LlmError && err.code === 'LLM_ERR_TRUNCATED');
  });
  const textOnly = { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'No statistics.' }], stop_reason: 'end_turn', usage: {} };
  await withFake('anthropic', () => ({ body: textOnly }), async (ex, requests) => {
    await assert.rejects(ex.extract(INPUT), (err: unknown) => err instanceof LlmError && err.code === 'LLM_ERR_INVALID_OUTPUT');
    assert.equal(requests.length, 2);
  });
});

test('anthropic: 529 overloaded is retried; 401 names the provider without the key', { timeout: 10_000 }, async () => {
  const overloaded = { status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } };
  const input = JSON.parse(statisticsJson(SAMPLE_STATISTICS)) as unknown;
  await withFake('anthropic', (_r, i) => (i === 0 ? overloaded : { body: anthropicAnswer(input) }), async (ex, requests) => {
    assertTwoGoodCandidates(await ex.extract(INPUT));
    assert.equal(requests.length, 2);
  });
  const unauthorized = { status: 401, body: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${KEY}` } } };
  await withFake('anthropic', () => unauthorized, async (ex, requests) => {
    await assert.rejects(ex.extract(INPUT), (err: unknown) => {
      assert.ok(err instanceof LlmError);
      assert.equal(err.code, 'LLM_ERR_AUTH');
      assert.match(err.message, /^llm\(anthropic\): authentication failed \(HTTP 401\): authentication_error: invalid x-api-key \[redacted\]/);
      assert.ok(!err.message.includes(KEY) && !JSON.stringify(err).includes(KEY));
      return true;
    });
    assert.equal(requests.length, 1, '401 is not retried');
  });
});

// ---------------------------------------------------------------- Gemini

test('gemini: exact request shape (responseSchema, systemInstruction, x-goog-api-key)', { timeout: 10_000 }, async () => {
  await withFake('gemini', () => ({ body: geminiAnswer(statisticsJson(SAMPLE_STATISTICS)) }), async (ex, requests) => {
    assertTwoGoodCandidates(await ex.extract(INPUT));
    const req = requests[0];
    assert.equal(req?.method, 'POST');
    assert.equal(req?.path, '/v1beta/models/gemini-2.5-flash:generateContent');
    assert.equal(req?.headers['x-goog-api-key'], KEY);
    assert.ok(!req?.path.includes('key='), 'the key is never in the URL');
    const b = body(req);
    assert.deepEqual(b['systemInstruction'], { parts: [{ text: SYSTEM_PROMPT }] });
    const config = b['generationConfig'] as Record<string, unknown>;
    assert.equal(config['responseMimeType'], 'application/json');
    assert.deepEqual(config['responseSchema'], geminiSchema());
    assert.equal(config['maxOutputTokens'], 8192);
    const contents = b['contents'] as Array<{ role: string; parts: Array<{ text: string }> }>;
    assert.equal(contents.length, 1);
    assert.equal(contents[0]?.role, 'user');
    assert.equal(contents[0]?.parts.length, 1);
    assertOnlyInDataBlock(contents[0]?.parts[0]?.text ?? '', SAMPLE_INJECTION);
    assert.ok((contents[0]?.parts[0]?.text ?? '').includes(DOCUMENT_OPEN) && (contents[0]?.parts[0]?.text ?? '').includes(DOCUMENT_CLOSE));
  });
});

test('gemini: a blocked prompt, a safety stop and MAX_TOKENS; thought parts are not the answer', { timeout: 10_000 }, async () => {
  const blocked = { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 900, totalTokenCount: 900 }, modelVersion: 'gemini-2.5-flash' };
  await withFake('gemini', () => ({ body: blocked }), async (ex) => {
    await assert.rejects(ex.extract(INPUT), (err: unknown) => err instanceof LlmError && err.code === 'LLM_ERR_REFUSED' && /PROHIBITED_CONTENT/.test(err.message));
  });
  const safety = { candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: [] }], modelVersion: 'gemini-2.5-flash' };
  await withFake('gemini', () => ({ body: safety }), async (ex) => {
    await assert.rejects(ex.extract(INPUT), (err: unknown) => err instanceof LlmError && err.code === 'LLM_ERR_REFUSED' && /SAFETY/.test(err.message));
  });
  await withFake('gemini', () => ({ body: geminiAnswer('{"statistics":[{"na', { finishReason: 'MAX_TOKENS' }) }), async (ex) => {
    await assert.rejects(ex.extract(INPUT), (err: unknown) => err instanceof LlmError && err.code === 'LLM_ERR_TRUNCATED');
  });
  const withThought = {
    candidates: [{ content: { role: 'model', parts: [{ text: 'Let me think about {not json', thought: true }, { text: statisticsJson(SAMPLE_STATISTICS) }] }, finishReason: 'STOP' }],
  };
  await withFake('gemini', () => ({ body: withThought }), async (ex) => {
    assertTwoGoodCandidates(await ex.extract(INPUT));
  });
});

test('gemini: 400 with the API error envelope is a clear, unretried error', { timeout: 10_000 }, async () => {
  const bad = { status: 400, body: { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } } };
  await withFake('gemini', () => bad, async (ex, requests) => {
    await assert.rejects(ex.extract(INPUT), (err: unknown) => err instanceof LlmError && err.code === 'LLM_ERR_BAD_REQUEST' && /^llm\(gemini\): request rejected \(HTTP 400\): INVALID_ARGUMENT: API key not valid/.test(err.message));
    assert.equal(requests.length, 1);
  });
});
