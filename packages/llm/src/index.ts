// @stats-agent/llm: candidate statistics extracted by an LLM (OpenAI-compatible APIs —
// OpenAI, xAI, Ollama, vLLM — Anthropic Messages, Gemini). The page is sent as data only,
// the answer is validated with zod, and every excerpt is located in the page before it leaves.
export { LLM_PROVIDERS, type ExtractInput, type ExtractResult, type ExtractStats, type Extractor, type LlmProviderName } from './types.js';
export { LlmError, llmFailureReason, type LlmErrorCode } from './errors.js';
export { createExtractor, LlmExtractor, DEFAULT_BASE_URLS, DEFAULT_MODELS, KEY_REQUIRED, type LlmExtractorOptions } from './extractor.js';
export { checkBaseUrl, isLoopbackHost } from './base-url.js';
export { SYSTEM_PROMPT, MAX_PAGE_CHARS, DOCUMENT_OPEN, DOCUMENT_CLOSE, buildPrompt } from './prompt.js';
export { OUTPUT_NAME, jsonSchema, geminiSchema, parseOutput, toCandidates } from './output.js';
export { ANTHROPIC_VERSION } from './providers/anthropic.js';
