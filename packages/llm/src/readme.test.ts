import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createExtractor, llmFailureReason } from './index.js';
import { SAMPLE_PAGE, SAMPLE_STATISTICS, openAiAnswer, startFakeLlm, statisticsJson } from './testing.js';

// The example in README.md, against a fake OpenAI server.
test('README example', { timeout: 10_000 }, async () => {
  const fake = await startFakeLlm((_req, i) => (i === 0 ? { body: openAiAnswer(statisticsJson(SAMPLE_STATISTICS)) } : { status: 401, body: { error: { message: 'bad key', code: 'invalid_api_key' } } }));
  const baseUrl = `${fake.url}/v1`;
  const pageText = SAMPLE_PAGE;
  const signal = new AbortController().signal;
  const env: Record<string, string | undefined> = { OPENAI_API_KEY: 'sk-test-readme' };

  const llm = createExtractor({ provider: 'openai', apiKey: () => env['OPENAI_API_KEY'] ?? '', baseUrl });
  let reason = '';
  try {
    const { candidates, stats } = await llm.extract({
      topic: 'solar electricity',
      pageText,
      title: 'Renewables 2023',
      url: 'https://energy.example.org/2023',
      sourceName: 'Energy Agency',
      maxCandidates: 25,
      signal,
    });
    assert.equal(candidates.length, 2);
    assert.ok(candidates.every((c) => pageText.includes(c.excerpt)));
    assert.ok(candidates[0]!.relevance >= candidates[1]!.relevance);
    assert.deepEqual(stats, { returned: 3, invalid: 0, notInPage: 1, duplicates: 0, attempts: 1 });
    await llm.extract({ topic: 't', pageText, title: '', url: 'https://e.org/', maxCandidates: 1 });
  } catch (err) {
    reason = llmFailureReason(err);
  } finally {
    await llm.close();
    await fake.close();
  }
  assert.equal(reason, 'llm_auth');
});
