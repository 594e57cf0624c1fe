// Gemini API generateContent with a response schema.
//
//   POST {base}/v1beta/models/{model}:generateContent     base: https://generativelanguage.googleapis.com
//   x-goog-api-key: <key>
//   { systemInstruction: { parts: [{ text }] }, contents: [{ role: 'user', parts: [{ text }] }],
//     generationConfig: { responseMimeType: 'application/json', responseSchema, temperature, maxOutputTokens } }
// → 200 { candidates: [{ content: { role: 'model', parts: [{ text }, …] }, finishReason }],
//          promptFeedback?: { blockReason }, usageMetadata }
//   A blocked prompt has promptFeedback.blockReason and no candidates; a blocked answer has a
//   finishReason such as SAFETY, RECITATION, PROHIBITED_CONTENT and no content; MAX_TOKENS is a
//   cut-off answer. Thinking models may add parts with `thought: true` (not the answer).
// → 4xx/5xx { error: { code, message, status } } (429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE).
import { z } from 'zod';
import { LlmError } from '../errors.js';
import { InvalidOutput, geminiSchema } from '../output.js';
import type { Prompt } from '../prompt.js';
import { trimSlash, type ProviderAdapter, type ProviderRequest } from './adapter.js';

const responseSchema = z.object({
  candidates: z
    .array(
      z.object({
        content: z.object({ parts: z.array(z.object({ text: z.string().nullish(), thought: z.boolean().nullish() })).nullish() }).nullish(),
        finishReason: z.string().nullish(),
      }),
    )
    .nullish(),
  promptFeedback: z.object({ blockReason: z.string().nullish() }).nullish(),
});

const errorSchema = z.object({ error: z.object({ message: z.string().nullish(), status: z.string().nullish(), code: z.number().nullish() }) });

const OK_FINISH = new Set(['STOP', 'FINISH_REASON_UNSPECIFIED']);

export class GeminiAdapter implements ProviderAdapter {
  readonly name = 'gemini' as const;

  constructor(
    readonly model: string,
    private readonly baseUrl: string,
    private readonly maxOutputTokens: number,
  ) {}

  request(prompt: Prompt, key: string): ProviderRequest {
    const model = encodeURIComponent(this.model.replace(/^models\//, ''));
    return {
      url: `${trimSlash(this.baseUrl)}/v1beta/models/${model}:generateContent`,
      headers: { 'x-goog-api-key': key },
      body: {
        systemInstruction: { parts: [{ text: prompt.system }] },
        contents: [{ role: 'user', parts: [{ text: prompt.user }] }],
        generationConfig: {
          responseMimeType: 'application/json',
          responseSchema: geminiSchema(),
          temperature: 0,
          maxOutputTokens: this.maxOutputTokens,
        },
      },
    };
  }

  output(json: unknown): unknown {
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) throw new LlmError('LLM_ERR_BAD_RESPONSE', this.name, 'the response is not a GenerateContentResponse');
    const blocked = parsed.data.promptFeedback?.blockReason;
    if (blocked) throw new LlmError('LLM_ERR_REFUSED', this.name, `the prompt was blocked (blockReason ${blocked.slice(0, 40)})`);
    const candidate = parsed.data.candidates?.[0];
    if (candidate === undefined) throw new LlmError('LLM_ERR_BAD_RESPONSE', this.name, 'the response has no candidates');
    const finish = candidate.finishReason;
    if (finish === 'MAX_TOKENS') throw new LlmError('LLM_ERR_TRUNCATED', this.name, 'the answer hit the token limit (finishReason MAX_TOKENS)');
    if (finish && !OK_FINISH.has(finish)) throw new LlmError('LLM_ERR_REFUSED', this.name, `the answer was blocked (finishReason ${finish.slice(0, 40)})`);
    const text = (candidate.content?.parts ?? [])
      .filter((p) => p.thought !== true)
      .map((p) => p.text ?? '')
      .join('');
    if (text.trim() === '') throw new InvalidOutput('the answer is empty');
    return text;
  }

  error(json: unknown): { message: string; code: string } {
    const parsed = errorSchema.safeParse(json);
    if (!parsed.success) return { message: '', code: '' };
    const e = parsed.data.error;
    return { message: e.message ?? '', code: e.status ?? String(e.code ?? '') };
  }

  isQuota(): boolean {
    // Gemini answers 429 RESOURCE_EXHAUSTED for both rates and daily quotas; retries are bounded.
    return false;
  }
}
