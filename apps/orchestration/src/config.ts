import { ASYMMETRIC_ALGORITHMS, DEFAULT_ALGORITHMS } from '@stats-agent/auth';
import { baseServiceSchema, envInt, envPort, hostPort, parseConfig, serviceSpiffeId, spiffeIdString } from '@stats-agent/runtime';
import { auditConfigFromEnv, type AuditConfig } from '@stats-agent/audit';
import { storeEnvShape } from '@stats-agent/store';
import { z } from 'zod';
import { DEFAULT_WORKFLOW_VERSION, WORKFLOW_VERSIONS } from './workflows.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** A comma-separated list, empty entries dropped. */
const commaList = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
    .pipe(z.array(item));

/** `scheme://host[:port]` exactly as browsers send it in `Origin`. */
const origin = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === s;
  } catch {
    return false;
  }
}, 'each entry must be an origin such as https://app.example.com (no path, no trailing slash)');

/** Express `trust proxy` values we allow: addresses, CIDRs, or its named ranges — never "everyone". */
const proxyEntry = z
  .string()
  .regex(/^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/, 'each entry must be an address, a CIDR, loopback, linklocal or uniquelocal');

const schema = baseServiceSchema('orchestration')
.extend({
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: envPort(8000),
  RESEARCH_ADDR: hostPort('127.0.0.1:8001'),
  VERIFICATION_ADDR: hostPort('127.0.0.1:8002'),
  SYNTHESIS_ADDR: hostPort('127.0.0.1:8004'),
  /** Expected SPIFFE IDs of the agents; default to the standard IDs in SPIFFE_TRUST_DOMAIN. */
  RESEARCH_SPIFFE_ID: spiffeIdString().optional(),
  SYNTHESIS_SPIFFE_ID: spiffeIdString().optional(),
  VERIFICATION_SPIFFE_ID: spiffeIdString().optional(),
  RESEARCH_TIMEOUT_MS: envInt(10_000, 100, 300_000),
  SYNTHESIS_TIMEOUT_MS: envInt(60_000, 100, 600_000),
  VERIFICATION_TIMEOUT_MS: envInt(60_000, 100, 600_000),
  REQUEST_TIMEOUT_MS: envInt(120_000, 1000, 900_000),
  MAX_ROUNDS: envInt(3, 1, 20),
  /** Most time one round (search, extract, verify) may take; 0: only REQUEST_TIMEOUT_MS bounds it. */
  ROUND_TIMEOUT_MS: envInt(60_000, 0, 900_000),
  /** Tries per agent call on UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED (1 = no retry), and the backoff bounds. */
  AGENT_RETRY_ATTEMPTS: envInt(3, 1, 10),
  /** The workflow version a request runs when it pins none (see workflows.ts). */
  WORKFLOW_VERSION: z.enum(WORKFLOW_VERSIONS).default(DEFAULT_WORKFLOW_VERSION),
  AGENT_RETRY_BASE_MS: envInt(200, 1, 60_000),
  AGENT_RETRY_MAX_MS: envInt(2_000, 1, 300_000),
  /** Asynchronous runs executing at once (POST /v1/runs answers 503 beyond), kept in memory, and kept after finishing for. */
  RUNS_MAX_ACTIVE: envInt(8, 1, 1000),
  /** A run's lease: a killed orchestrator's runs are resumed at most this long after it died (renewed every third). */
  RUN_LEASE_MS: envInt(15_000, 1000, 3_600_000),
  /** How often the orchestrator looks for runs to resume. */
  RUN_SWEEP_MS: envInt(1_000, 100, 600_000),
  /** A run started this many times without finishing is dead-lettered. */
  RUN_MAX_ATTEMPTS: envInt(3, 1, 100),
  /** DATABASE_URL or STORE_DIR, pool settings and RUN_RETENTION_DAYS (see @stats-agent/store). */
  ...storeEnvShape,
  SOURCES_PER_ROUND: envInt(8, 1, 50),
  HTTP_BODY_LIMIT_BYTES: envInt(65_536, 1024, 10 * 1024 * 1024),
  /** Concurrent orchestrations; more get 503 at once rather than queueing without bound. */
  MAX_CONCURRENT_REQUESTS: envInt(16, 1, 1000),

  /** `required` (default): every API request needs an API key or a JWT. `none`: development on loopback only. */
  AUTH_MODE: z.enum(['required', 'none']).default('required'),
  /** JSON file of hashed API keys (packages/auth/README.md); re-read when it changes. */
  API_KEYS_FILE: z.string().min(1).optional(),
  OIDC_ISSUER: z.url({ protocol: /^https?$/, error: 'must be the issuer URL, e.g. https://example.okta.com/oauth2/default' }).optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  /** Default: `jwks_uri` from `<OIDC_ISSUER>/.well-known/openid-configuration`. */
  OIDC_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  OIDC_ALGORITHMS: commaList(z.enum(ASYMMETRIC_ALGORITHMS, { error: `must be asymmetric: ${ASYMMETRIC_ALGORITHMS.join(', ')}` })).default([...DEFAULT_ALGORITHMS]),
  OIDC_CLOCK_TOLERANCE_S: envInt(30, 0, 300),
  OIDC_TIMEOUT_MS: envInt(3000, 100, 30_000),
  OIDC_JWKS_COOLDOWN_MS: envInt(30_000, 0, 3_600_000),
  RATE_LIMIT_PER_MINUTE: envInt(60, 1, 1_000_000),
  RATE_LIMIT_BURST: envInt(20, 0, 1_000_000),
  /** Shared rate-limit buckets for several replicas, e.g. redis://redis:6379/0. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be redis://… or rediss://…' }).optional(),
  REDIS_TIMEOUT_MS: envInt(500, 50, 10_000),
  /** Browser origins allowed to call the API; empty: no CORS headers at all. */
  CORS_ORIGINS: commaList(origin).default([]),
  /** Proxies whose X-Forwarded-For is believed (express `trust proxy`); empty: the socket address counts. */
  TRUST_PROXY: commaList(proxyEntry).default([]),
})
.superRefine((c, ctx) => {
  if (c.AUTH_MODE === 'required' && !c.API_KEYS_FILE && !c.OIDC_ISSUER) {
    ctx.addIssue({
      code: 'custom',
      path: ['AUTH_MODE'],
      message: 'is required (the default) but neither API_KEYS_FILE nor OIDC_ISSUER is set; create a key with `node packages/auth/dist/cli.js create` or set AUTH_MODE=none on a loopback-only development server',
    });
  }
  if (c.AUTH_MODE === 'none' && !LOOPBACK_HOSTS.has(c.HTTP_HOST)) {
    ctx.addIssue({ code: 'custom', path: ['AUTH_MODE'], message: `none is only allowed when HTTP_HOST is loopback (is ${c.HTTP_HOST})` });
  }
  if (c.OIDC_ISSUER && !c.OIDC_AUDIENCE) ctx.addIssue({ code: 'custom', path: ['OIDC_AUDIENCE'], message: 'is required with OIDC_ISSUER (e.g. api://stats-agent)' });
  if (c.OIDC_JWKS_URL && !c.OIDC_ISSUER) ctx.addIssue({ code: 'custom', path: ['OIDC_JWKS_URL'], message: 'needs OIDC_ISSUER' });
});

export type OrchestrationConfig = z.output<typeof schema> & {
  /** The audit trail's settings (AUDIT_LOG_FILE, AUDIT_HMAC_KEY, …). */
  audit: Readonly<AuditConfig>;
  researchId: string;
  synthesisId: string;
  verificationId: string;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<OrchestrationConfig> {
  const c = parseConfig('orchestration', schema, env);
  return Object.freeze({
    ...c,
    audit: auditConfigFromEnv(env),
    researchId: c.RESEARCH_SPIFFE_ID ?? serviceSpiffeId('research', c.SPIFFE_TRUST_DOMAIN),
    synthesisId: c.SYNTHESIS_SPIFFE_ID ?? serviceSpiffeId('synthesis', c.SPIFFE_TRUST_DOMAIN),
    verificationId: c.VERIFICATION_SPIFFE_ID ?? serviceSpiffeId('verification', c.SPIFFE_TRUST_DOMAIN),
  });
}
