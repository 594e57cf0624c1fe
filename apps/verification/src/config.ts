import { agentSchema, envInt, parseConfig } from '@stats-agent/runtime';
import type { z } from 'zod';

const schema = agentSchema('verification').extend({
  FETCH_CONCURRENCY: envInt(4, 1, 32),
  FETCH_TIMEOUT_MS: envInt(10_000, 100, 120_000),
  FETCH_MAX_BYTES: envInt(5 * 1024 * 1024, 1024, 50 * 1024 * 1024),
});

export type VerificationConfig = z.output<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<VerificationConfig> {
  return parseConfig('verification', schema, env);
}
