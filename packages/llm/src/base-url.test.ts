import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkBaseUrl, isLoopbackHost } from './base-url.js';
import { LlmError, llmFailureReason, scrub } from './errors.js';

test('base URLs: https anywhere, http only to loopback, no credentials or query', { timeout: 5000 }, () => {
  assert.equal(checkBaseUrl('https://api.openai.com/v1/'), 'https://api.openai.com/v1');
  assert.equal(checkBaseUrl('http://localhost:11434/v1'), 'http://localhost:11434/v1');
  assert.equal(checkBaseUrl('http://127.0.0.1:8000/v1'), 'http://127.0.0.1:8000/v1');
  assert.equal(checkBaseUrl('http://[::1]:8000'), 'http://[::1]:8000');
  assert.throws(() => checkBaseUrl('http://vllm.internal:8000/v1'), /https/);
  assert.throws(() => checkBaseUrl('http://10.0.0.5/v1'), /https/);
  assert.throws(() => checkBaseUrl('https://user:secret@api.example.com'), /credentials/);
  assert.throws(() => checkBaseUrl('https://api.example.com/v1?key=abc'), /query/);
  assert.throws(() => checkBaseUrl('ftp://api.example.com'), /https/);
  assert.throws(() => checkBaseUrl('not a url'), /not a URL/);
  assert.ok(isLoopbackHost('127.8.9.10') && isLoopbackHost('[::1]') && !isLoopbackHost('128.0.0.1') && !isLoopbackHost('localhost.example.com'));
});

test('scrub removes the key and key-shaped strings; reasons name the code', { timeout: 5000 }, () => {
  const key = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
  const out = scrub(`Incorrect API key provided: ${key}. Masked: sk-proj-****************************2345.\nSee docs.`, key);
  assert.ok(!out.includes(key));
  assert.ok(!out.includes('2345'));
  assert.match(out, /Incorrect API key provided: \[redacted\]/);
  assert.ok(!out.includes('\n'));
  assert.equal(scrub('x'.repeat(400), undefined).length, 301);
  // Model names and URLs stay readable; Gemini- and Anthropic-shaped keys do not.
  assert.equal(scrub('model: claude-haiku-4-5-20251001 not found, see https://docs.example.com/en/api/errors', undefined), 'model: claude-haiku-4-5-20251001 not found, see https://docs.example.com/en/api/errors');
  assert.equal(scrub('key AIzaSyD3xAmPlE0123456789abcdefGHIJKLMNO is invalid', undefined), 'key [redacted] is invalid');
  assert.equal(scrub('sk-ant-api03-Zx9AbCdEfGhIjKlMnOpQrStUvWx0123-AA', undefined), '[redacted]');
  assert.equal(llmFailureReason(new LlmError('LLM_ERR_TIMEOUT', 'openai', 'slow')), 'llm_timeout');
  assert.equal(llmFailureReason(new Error('x')), 'llm_error');
});
