// Anthropic Messages API with a forced tool as the structured output.
//
//   POST {base}/v1/messages              base: https://api.anthropic.com
//   x-api-key: <key>    anthropic-version: 2023-06-01
//   { model, max_tokens, system, messages: [{ role: 'user', content }],
//     tools: [{ name, description, input_schema }], tool_choice: { type: 'tool', name } }
// → 200 { type: 'message', role: 'assistant', content: [{ type: 'tool_use', id, name, input }],
//          stop_reason: 'tool_use'|'end_turn'|'max_tokens'|'refusal'|…, usage }
// → 4xx/5xx { type: 'error', error: { type, message } }: 401 authentication_error,
//   429 rate_limit_error (with retry-after), 529 overloaded_error, 402 billing_error.
import { z } from 'zod';
import { LlmError } from '../errors.js';
import { InvalidOutput, OUTPUT_NAME, jsonSchema } from '../output.js';
import type { Prompt } from '../prompt.js';
import { trimSlash, type ProviderAdapter, type ProviderRequest } from './adapter.js';

export const ANTHROPIC_VERSION = '2023-06-01';

const responseSchema = z.object({
  content: z.array(z.object({ type: z.string(), name: z.string().nullish(), input: z.unknown().optional() })),
  stop_reason: z.string().nullish(),
});

const errorSchema = z.object({
  error: z.object({ type: z.string().nullish(), message: z.string().nullish(), details: z.object({ error_code: z.string().nullish() }).nullish() }),
});

export class AnthropicAdapter implements ProviderAdapter {
  readonly name = 'anthropic' as const;

  constructor(
    readonly model: string,
    private readonly baseUrl: string,
    private readonly maxOutputTokens: number,
  ) {}

  request(prompt: Prompt, key: string): ProviderRequest {
    return {
      url: `${trimSlash(this.baseUrl)}/v1/messages`,
      headers: { 'x-api-key': key, 'anthropic-version': ANTHROPIC_VERSION },
      body: {
        model: this.model,
        max_tokens: this.maxOutputTokens,
        temperature: 0,
        system: prompt.system,
        messages: [{ role: 'user', content: prompt.user }],
        tools: [{ name: OUTPUT_NAME, description: 'Record the statistics found in the document.', input_schema: jsonSchema() }],
        tool_choice: { type: 'tool', name: OUTPUT_NAME },
      },
    };
  }

  output(json: unknown): unknown {
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) throw new LlmError('LLM_ERR_BAD_RESPONSE', this.name, 'the response has no content array');
    const stop = parsed.data.stop_reason;
    if (stop === 'refusal') throw new LlmError('LLM_ERR_REFUSED', this.name, 'the model refused (stop_reason "refusal")');
    if (stop === 'max_tokens' || stop === 'model_context_window_exceeded') {
      throw new LlmError('LLM_ERR_TRUNCATED', this.name, `the answer hit the token limit (stop_reason "${stop}")`);
    }
    const block = parsed.data.content.find((b) => b.type === 'tool_use' && b.name === OUTPUT_NAME);
    if (block === undefined) throw new InvalidOutput(`no ${OUTPUT_NAME} tool_use block`);
    return block.input;
  }

  error(json: unknown): { message: string; code: string } {
    const parsed = errorSchema.safeParse(json);
    if (!parsed.success) return { message: '', code: '' };
    const e = parsed.data.error;
    return { message: e.message ?? '', code: e.details?.error_code ?? e.type ?? '' };
  }

  isQuota(status: number, json: unknown): boolean {
    const code = this.error(json).code;
    return (status === 429 && code === 'enforced_spend_limit_reached') || code === 'billing_error';
  }
}
