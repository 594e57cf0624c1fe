/** The four agents, their default ports (DESIGN.md) and SPIFFE ID shape. */
export const DEFAULT_TRUST_DOMAIN = 'stats-agent.local';
export const DEFAULT_NAMESPACE = 'stats-agent';

export const SERVICES = {
  orchestration: { httpPort: 8000, adminPort: 9100 },
  research: { grpcPort: 8001, adminPort: 9101 },
  verification: { grpcPort: 8002, adminPort: 9102 },
  synthesis: { grpcPort: 8004, adminPort: 9104 },
} as const;

export type ServiceName = keyof typeof SERVICES;

/** `spiffe://<trust-domain>/ns/<namespace>/sa/<service>`: the same shape as Istio principals. */
export function serviceSpiffeId(service: ServiceName, trustDomain = DEFAULT_TRUST_DOMAIN, namespace = DEFAULT_NAMESPACE): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${service}`;
}
