import { z } from 'zod';
import { WORKFLOW_VERSIONS } from '../workflows.js';

// A topic is one line of text: no control characters at all (C0 including tab and newline, DEL,
// C1), no line/paragraph separators, and no bidirectional overrides or isolates, which can make
// a logged or displayed topic read differently from what was searched ("Trojan Source").
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

export const orchestrateBodySchema = z.strictObject(
  {
    topic: z
      .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
      .trim()
      .min(1, 'must not be empty')
      .max(500, 'must be at most 500 characters')
      .refine((t) => !CONTROL.test(t), 'must not contain control characters'),
    min_verified_stats: z.number({ error: 'must be a number' }).int('must be an integer').min(1).max(100).default(10),
    max_candidates: z.number({ error: 'must be a number' }).int('must be an integer').min(1).max(500).default(30),
    reputable_only: z.boolean({ error: 'must be a boolean' }).default(false),
    since: z.number({ error: 'must be a number' }).int('must be an integer').min(1900).max(2100).optional(),
    workflow_version: z.enum(WORKFLOW_VERSIONS, { error: `must be one of ${WORKFLOW_VERSIONS.join(', ')}` }).optional(),
  },
  { error: (i) => (i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : 'body must be a JSON object') },
);

const candidateSchema = z.strictObject(
  {
    name: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(500),
    value: z.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be a finite number'),
    unit: z.string({ error: 'must be a string' }).max(64).default(''),
    source: z.string({ error: 'must be a string' }).max(500).default(''),
    source_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
    excerpt: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(5000),
    period: z.string({ error: 'must be a string' }).max(64).default(''),
  },
  { error: (i) => (i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : 'must be an object') },
);

export const verifyBodySchema = z.strictObject(
  {
    candidates: z
      .array(candidateSchema, { error: (i) => (i.input === undefined ? 'is required' : 'must be an array') })
      .min(1, 'must hold at least one candidate')
      .max(200, 'must hold at most 200 candidates'),
  },
  { error: (i) => (i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : 'body must be a JSON object') },
);

export type VerifyBody = z.output<typeof verifyBodySchema>;

export const orchestrateQuerySchema = z.strictObject({
  format: z.enum(['json', 'claims']).default('json'),
});

export type OrchestrateBody = z.output<typeof orchestrateBodySchema>;

/** "field: message; field: message" — the first problems, each naming its field. */
export function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}
