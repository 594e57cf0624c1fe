import { agentSchema, fetchSchema, parseConfig } from '@stats-agent/runtime';
import type { z } from 'zod';

const schema = agentSchema('verification').extend(fetchSchema().shape);

export type VerificationConfig = z.output<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<VerificationConfig> {
  return parseConfig('verification', schema, env);
}
