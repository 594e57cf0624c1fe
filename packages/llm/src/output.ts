import { termOverlap, topicTerms } from '@stats-agent/extractor';
import type { CandidateStatistic__Output } from '@stats-agent/proto';
import { locateExcerpt } from '@stats-agent/text';
import { z } from 'zod';

/** Name of the structured output (OpenAI json_schema name, Anthropic tool name). */
export const OUTPUT_NAME = 'record_statistics';

/** More items than this in one answer are ignored (the answer is bounded before it is read). */
export const MAX_ITEMS = 200;

const FIELDS = ['name', 'excerpt', 'value', 'unit', 'period'] as const;

const DESCRIPTIONS = {
  name: 'What the number measures, in a few words.',
  excerpt: 'The sentence of the document stating the number, copied verbatim.',
  value: 'The number with scale words applied (1.2 million = 1200000).',
  unit: 'Unit of the value ("%", "USD", "people"); empty for a plain count.',
  period: 'Year or period the number refers to if the document says; else empty.',
} as const;

/**
 * JSON Schema of the answer, in the subset OpenAI's strict mode accepts (every property
 * required, additionalProperties false, no length keywords). Anthropic's tool input_schema
 * takes the same schema.
 */
export function jsonSchema(): Record<string, unknown> {
  const prop = (f: (typeof FIELDS)[number]) => ({ type: f === 'value' ? 'number' : 'string', description: DESCRIPTIONS[f] });
  return {
    type: 'object',
    additionalProperties: false,
    required: ['statistics'],
    properties: {
      statistics: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: [...FIELDS],
          properties: Object.fromEntries(FIELDS.map((f) => [f, prop(f)])),
        },
      },
    },
  };
}

/** The same schema as a Gemini `Schema` (an OpenAPI 3.0 subset: upper-case types, propertyOrdering). */
export function geminiSchema(): Record<string, unknown> {
  const prop = (f: (typeof FIELDS)[number]) => ({ type: f === 'value' ? 'NUMBER' : 'STRING', description: DESCRIPTIONS[f] });
  return {
    type: 'OBJECT',
    required: ['statistics'],
    properties: {
      statistics: {
        type: 'ARRAY',
        items: {
          type: 'OBJECT',
          required: [...FIELDS],
          propertyOrdering: [...FIELDS],
          properties: Object.fromEntries(FIELDS.map((f) => [f, prop(f)])),
        },
      },
    },
  };
}

const text = (max: number) =>
  z
    .string()
    .max(max)
    .nullish()
    .transform((s) => (s ?? '').trim());

/** One statistic as the model must give it. `z.number()` rejects NaN and ±Infinity. */
export const statisticSchema = z.object({
  name: z.string().trim().min(1).max(300),
  excerpt: z.string().trim().min(1).max(2000),
  value: z.number(),
  unit: text(40),
  period: text(40),
});
export type LlmStatistic = z.output<typeof statisticSchema>;

const envelopeSchema = z.object({ statistics: z.array(z.unknown()) });

/** The answer's envelope was unusable (not JSON, not an object with a statistics array). */
export class InvalidOutput extends Error {
  override name = 'InvalidOutput';
}

/**
 * Validates the model's answer: a JSON string or an already-parsed value (Anthropic's tool
 * input). Throws InvalidOutput when the envelope is wrong; drops (and counts) single items that
 * fail the item schema. Items beyond MAX_ITEMS are not looked at.
 */
export function parseOutput(raw: unknown): { items: LlmStatistic[]; returned: number; invalid: number } {
  let value = raw;
  if (typeof raw === 'string') {
    // Some OpenAI-compatible servers wrap JSON in a Markdown fence even in JSON mode.
    const unfenced = raw.trim().replace(/^```(?:json)?\s*\n([\s\S]*)\n```$/, '$1');
    try {
      value = JSON.parse(unfenced);
    } catch {
      throw new InvalidOutput('the answer is not JSON');
    }
  }
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) throw new InvalidOutput('the answer has no "statistics" array');
  const all = envelope.data.statistics;
  const items: LlmStatistic[] = [];
  let invalid = 0;
  for (const item of all.slice(0, MAX_ITEMS)) {
    const parsed = statisticSchema.safeParse(item);
    if (parsed.success) items.push(parsed.data);
    else invalid++;
  }
  return { items, returned: all.length, invalid };
}

/**
 * Turns validated items into candidates: each excerpt must be found in `pageText` (exactly or
 * after normalization, as the verifier finds it) and is replaced by the page's own wording of
 * it; repeats are dropped; relevance is scored against the topic as the rule-based extractor
 * scores it (ties keep the model's order); at most `maxCandidates` are kept.
 */
export function toCandidates(
  items: readonly LlmStatistic[],
  input: { topic: string; pageText: string; title: string; url: string; sourceName: string; maxCandidates: number },
): { candidates: CandidateStatistic__Output[]; notInPage: number; duplicates: number } {
  const terms = topicTerms(input.topic);
  const titleScore = termOverlap(terms, input.title);
  const seen = new Set<string>();
  const out: CandidateStatistic__Output[] = [];
  let notInPage = 0;
  let duplicates = 0;
  for (const item of items) {
    const at = locateExcerpt(input.pageText, item.excerpt);
    if (at === undefined) {
      notInPage++;
      continue;
    }
    const key = `${at.start}:${at.end}|${item.value}|${item.unit}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    const excerpt = input.pageText.slice(at.start, at.end);
    const relevance = 0.6 * termOverlap(terms, excerpt) + 0.25 * termOverlap(terms, item.name) + 0.15 * titleScore;
    out.push({
      name: item.name,
      value: item.value,
      unit: item.unit,
      source: input.sourceName,
      source_url: input.url,
      excerpt,
      period: item.period,
      relevance: Math.round(relevance * 1000) / 1000,
    });
  }
  // Array.prototype.sort is stable: equal scores keep the model's order.
  out.sort((a, b) => b.relevance - a.relevance);
  return { candidates: out.slice(0, input.maxCandidates), notInPage, duplicates };
}
