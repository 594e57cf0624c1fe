import { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once with a zod schema whose keys are variable names, reports every
 * problem at once (naming each variable, never echoing a value) and freezes the result.
 */
export function parseConfig<S extends z.ZodType>(service: string, schema: S, env: NodeJS.ProcessEnv = process.env): Readonly<z.output<S>> {
  // Empty strings count as unset, so `FOO=` in a .env file means "use the default".
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(service, problems);
  }
  return Object.freeze(result.data) as Readonly<z.output<S>>;
}

export const envPort = (dflt: number) => z.coerce.number().int().min(0).max(65535).default(dflt);
export const envInt = (dflt: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(dflt);
export const envBool = (dflt: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(dflt ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** `host:port` (IPv6 in brackets), as grpc-js targets take it. */
export const hostPort = (dflt: string) =>
  z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port')
    .default(dflt);

export const spiffeIdString = () =>
  z.string().regex(/^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'must be a SPIFFE ID (spiffe://trust-domain/path)');
