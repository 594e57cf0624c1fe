import { AuditLog, auditLogOptions, type AuditConfig, type AuditEvent } from '@stats-agent/audit';
import { registerSecretValues, type Logger } from '@stats-agent/logging';
import { loadSecrets, SecretsError, type SecretDeclaration, type Secrets } from '@stats-agent/secrets';

/**
 * A service's audit log, opened when `AUDIT_LOG_FILE` is set. Secrets the service holds in its
 * configuration rather than in @stats-agent/secrets (the audit HMAC key, passwords in connection
 * URLs: pass them as `configSecrets`) are handed to the log scrubber first.
 */
export async function openServiceAudit(config: AuditConfig, logger: Logger, configSecrets: readonly string[] = []): Promise<AuditLog | undefined> {
  registerSecretValues([...(config.hmacKey ? [config.hmacKey] : []), ...configSecrets], 'config');
  return config.file ? AuditLog.open(auditLogOptions(config, { logger })) : undefined;
}

/**
 * Loads the service's declared secrets (environment, `*_FILE` mounts or Vault) and records it in
 * the audit log: `secret.loaded` per name, `secret.rotated` on each change, `secret.load_failed`
 * (after which the log is closed and the error rethrown: start-up fails). Names only, never values.
 */
export async function loadAuditedSecrets(opts: {
  service: string;
  env: Readonly<Record<string, string | undefined>>;
  declare: readonly SecretDeclaration[];
  auditLog: AuditLog | undefined;
  logger: Logger;
}): Promise<Secrets> {
  const { auditLog } = opts;
  const actor = { kind: 'system', id: opts.service } as const;
  const secrets = await loadSecrets({ env: opts.env, declare: opts.declare, logger: opts.logger }).catch(async (err: unknown) => {
    auditLog?.record({ actor, action: 'secret.load_failed', resource: 'secret:*', outcome: 'failure', detail: { code: err instanceof SecretsError ? err.code : 'unknown' } });
    await auditLog?.close();
    throw err;
  });
  for (const d of opts.declare) {
    if (secrets.has(d.name)) auditLog?.record({ actor, action: 'secret.loaded', resource: `secret:${d.name}`, outcome: 'success', detail: { provider: secrets.provider } });
  }
  secrets.onChange(({ names }) => {
    for (const name of names) auditLog?.record({ actor, action: 'secret.rotated', resource: `secret:${name}`, outcome: 'success', detail: { provider: secrets.provider } });
  });
  return secrets;
}

/** The fields of a refused gRPC call (`DeniedCall` of @stats-agent/rpc). */
export interface RefusedCall {
  method: string;
  caller: string | undefined;
  code: string;
  peer: string;
  requestId: string;
}

/** The `mtls.denied` audit record of a refused gRPC caller: its SPIFFE ID (or `unknown`), the method, its address. */
export function mtlsDeniedEvent(d: RefusedCall): AuditEvent {
  return {
    actor: { kind: 'spiffe', id: d.caller ?? 'unknown' },
    action: 'mtls.denied',
    resource: `rpc:${d.method}`,
    outcome: 'denied',
    source_ip: d.peer.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'),
    request_id: d.requestId,
    detail: { code: d.code },
  };
}
