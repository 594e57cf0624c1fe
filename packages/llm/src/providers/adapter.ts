import type { Prompt } from '../prompt.js';
import type { LlmProviderName } from '../types.js';

export interface ProviderRequest {
  url: string;
  /** Provider headers (auth, version); content-type and accept are added by the sender. */
  headers: Record<string, string>;
  body: unknown;
}

/** Speaks one provider's HTTP API: builds its request and reads its answer and errors. */
export interface ProviderAdapter {
  readonly name: LlmProviderName;
  readonly model: string;
  /** `key` is '' when the provider needs none (ollama, vllm without a key). */
  request(prompt: Prompt, key: string): ProviderRequest;
  /**
   * The structured answer of a 2xx body: a JSON string (OpenAI, Gemini) or a parsed value
   * (Anthropic's tool input). Throws LlmError for refusals, blocks and truncation, and
   * InvalidOutput when the answer is missing (worth one retry).
   */
  output(json: unknown): unknown;
  /** Message and machine code from an error body (empty strings when there are none). */
  error(json: unknown): { message: string; code: string };
  /** Whether a 429 means an exhausted quota or spend limit (not retried) rather than a rate. */
  isQuota(status: number, json: unknown): boolean;
}

export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
