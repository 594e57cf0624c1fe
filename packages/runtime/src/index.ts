export { parseConfig, ConfigError, envPort, envBool, envInt, hostPort, spiffeIdString } from './config.js';
export { installShutdown, type ShutdownStep, type ShutdownHandle } from './shutdown.js';
export { SERVICES, DEFAULT_TRUST_DOMAIN, DEFAULT_NAMESPACE, serviceSpiffeId, type ServiceName } from './services.js';
export { baseServiceSchema, agentSchema, fetchSchema, orchestratorIdOf } from './agent-config.js';
export { runMain } from './main.js';
export { mapWithConcurrency } from './concurrency.js';
export { TtlCache } from './ttl-cache.js';
export { loadAuditedSecrets, mtlsDeniedEvent, openServiceAudit, type RefusedCall } from './audited.js';
