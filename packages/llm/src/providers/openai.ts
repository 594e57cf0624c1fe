// OpenAI-compatible Chat Completions: OpenAI, xAI, Ollama, vLLM.
//
//   POST {base}/chat/completions        base: https://api.openai.com/v1 | https://api.x.ai/v1 |
//                                              http://localhost:11434/v1 (Ollama) | yours (vLLM)
//   authorization: Bearer <key>         (left out when there is no key: Ollama, vLLM without --api-key)
//   { model, messages: [{role:'system', content}, {role:'user', content}],
//     response_format: { type: 'json_schema', json_schema: { name, strict: true, schema } },
//     max_completion_tokens (OpenAI) | max_tokens (the others) }
// → 200 { choices: [{ index, finish_reason: 'stop'|'length'|'content_filter'|'tool_calls',
//          message: { role: 'assistant', content: string|null, refusal: string|null } }], usage }
// → 4xx/5xx { error: { message, type, param, code } }; 429 with code 'insufficient_quota' is
//   an exhausted quota, not a rate limit. Strict mode needs every property in `required` and
//   additionalProperties: false at every level. A refusal comes in `message.refusal` with
//   `content` null.
import { z } from 'zod';
import { LlmError } from '../errors.js';
import { InvalidOutput, OUTPUT_NAME, jsonSchema } from '../output.js';
import type { Prompt } from '../prompt.js';
import type { LlmProviderName } from '../types.js';
import { trimSlash, type ProviderAdapter, type ProviderRequest } from './adapter.js';

const responseSchema = z.object({
  choices: z
    .array(
      z.object({
        finish_reason: z.string().nullish(),
        message: z.object({ content: z.string().nullish(), refusal: z.string().nullish() }).nullish(),
      }),
    )
    .min(1),
});

const errorSchema = z.object({ error: z.object({ message: z.string().nullish(), type: z.string().nullish(), code: z.union([z.string(), z.number()]).nullish() }) });

export class OpenAiCompatibleAdapter implements ProviderAdapter {
  constructor(
    readonly name: Extract<LlmProviderName, 'openai' | 'xai' | 'ollama' | 'vllm'>,
    readonly model: string,
    private readonly baseUrl: string,
    private readonly maxOutputTokens: number,
  ) {}

  request(prompt: Prompt, key: string): ProviderRequest {
    const body: Record<string, unknown> = {
      model: this.model,
      messages: [
        { role: 'system', content: prompt.system },
        { role: 'user', content: prompt.user },
      ],
      response_format: { type: 'json_schema', json_schema: { name: OUTPUT_NAME, strict: true, schema: jsonSchema() } },
    };
    // OpenAI deprecated max_tokens (its reasoning models reject it); the compatible servers
    // read max_tokens. Temperature is left to the model's default: several OpenAI models accept
    // only their default.
    if (this.name === 'openai') body['max_completion_tokens'] = this.maxOutputTokens;
    else body['max_tokens'] = this.maxOutputTokens;
    if (this.name === 'ollama' || this.name === 'vllm') body['temperature'] = 0;
    return { url: `${trimSlash(this.baseUrl)}/chat/completions`, headers: key === '' ? {} : { authorization: `Bearer ${key}` }, body };
  }

  output(json: unknown): unknown {
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) throw new LlmError('LLM_ERR_BAD_RESPONSE', this.name, 'the response has no choices[0]');
    const choice = parsed.data.choices[0];
    const refusal = choice?.message?.refusal;
    if (refusal) throw new LlmError('LLM_ERR_REFUSED', this.name, `the model refused: ${refusal.slice(0, 200)}`);
    if (choice?.finish_reason === 'length') throw new LlmError('LLM_ERR_TRUNCATED', this.name, 'the answer hit the token limit (finish_reason "length")');
    if (choice?.finish_reason === 'content_filter') throw new LlmError('LLM_ERR_REFUSED', this.name, 'the answer was withheld by the content filter');
    const content = choice?.message?.content;
    if (content === undefined || content === null || content.trim() === '') throw new InvalidOutput('the answer is empty');
    return content;
  }

  error(json: unknown): { message: string; code: string } {
    const parsed = errorSchema.safeParse(json);
    if (!parsed.success) return { message: '', code: '' };
    const e = parsed.data.error;
    return { message: e.message ?? '', code: String(e.code ?? e.type ?? '') };
  }

  isQuota(status: number, json: unknown): boolean {
    return status === 429 && this.error(json).code === 'insufficient_quota';
  }
}
