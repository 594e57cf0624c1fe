import { auditConfigFromEnv, type AuditConfig } from '@stats-agent/audit';
import { agentSchema, fetchSchema, parseConfig } from '@stats-agent/runtime';
import type { z } from 'zod';

const schema = agentSchema('verification').extend(fetchSchema().shape);

export type VerificationConfig = z.output<typeof schema> & {
  /** The agent's audit log (AUDIT_LOG_FILE, AUDIT_HMAC_KEY, …); no file: no audit log. */
  audit: Readonly<AuditConfig>;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<VerificationConfig> {
  return Object.freeze({ ...parseConfig('verification', schema, env), audit: auditConfigFromEnv(env) });
}
