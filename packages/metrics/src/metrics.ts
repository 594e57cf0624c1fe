import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The metrics every service exposes; each service adds its own to `registry`. */
export interface ServiceMetrics {
  registry: Registry;
  /** gRPC calls handled by this server, by method and status code. */
  grpcServerHandled: Counter<'method' | 'code'>;
  grpcServerDuration: Histogram<'method' | 'code'>;
  /** gRPC calls this service made, by target service, method and status code. */
  grpcClientHandled: Counter<'method' | 'code'>;
  grpcClientDuration: Histogram<'method' | 'code'>;
  /** Calls refused by SPIFFE authorization, by method (the caller's ID is in the log line). */
  authzDenied: Counter<'method'>;
  /** Workload API SVID rotations seen. */
  svidRotations: Counter;
  /** Seconds until the current SVID expires. */
  svidExpiry: { set(seconds: number): void };
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A fresh registry with default process metrics, labelled with the service name. */
export function createMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const grpcServerHandled = new Counter({
    name: 'grpc_server_handled_total',
    help: 'gRPC calls completed on the server, by method and status code.',
    labelNames: ['method', 'code'] as const,
    registers: [registry],
  });
  const grpcServerDuration = new Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'Time from the start of a gRPC call to its status on the server.',
    labelNames: ['method', 'code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const grpcClientHandled = new Counter({
    name: 'grpc_client_handled_total',
    help: 'gRPC calls completed by this service as a client, by method and status code.',
    labelNames: ['method', 'code'] as const,
    registers: [registry],
  });
  const grpcClientDuration = new Histogram({
    name: 'grpc_client_handling_seconds',
    help: 'Round-trip time of gRPC calls made by this service.',
    labelNames: ['method', 'code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const authzDenied = new Counter({
    name: 'spiffe_authz_denied_total',
    help: 'gRPC calls refused because the caller SPIFFE ID is not authorized.',
    labelNames: ['method'] as const,
    registers: [registry],
  });
  const svidRotations = new Counter({
    name: 'spiffe_svid_rotations_total',
    help: 'X509-SVID updates received from the Workload API.',
    registers: [registry],
  });
  const expiry = new Histogram({
    name: 'spiffe_svid_ttl_seconds_at_rotation',
    help: 'Remaining lifetime of each new X509-SVID when it was received.',
    buckets: [1, 10, 60, 300, 900, 1800, 3600, 7200, 86400],
    registers: [registry],
  });
  return {
    registry,
    grpcServerHandled,
    grpcServerDuration,
    grpcClientHandled,
    grpcClientDuration,
    authzDenied,
    svidRotations,
    svidExpiry: { set: (s) => expiry.observe(s) },
  };
}
