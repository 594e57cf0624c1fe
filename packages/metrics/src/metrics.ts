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
  /** Remaining lifetime, in seconds, of each new SVID when it arrives. */
  svidTtlAtRotation: Histogram;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** `grpc_<side>_handled_total` and `grpc_<side>_handling_seconds`, by method and status code. */
function callMetrics(registry: Registry, side: 'server' | 'client', handledHelp: string, durationHelp: string) {
  return {
    handled: new Counter({
      name: `grpc_${side}_handled_total`,
      help: `gRPC calls ${handledHelp}, by method and status code.`,
      labelNames: ['method', 'code'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: `grpc_${side}_handling_seconds`,
      help: durationHelp,
      labelNames: ['method', 'code'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}

/** A fresh registry with default process metrics, labelled with the service name. */
export function createMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const server = callMetrics(registry, 'server', 'completed on the server', 'Time from the start of a gRPC call to its status on the server.');
  const client = callMetrics(registry, 'client', 'completed by this service as a client', 'Round-trip time of gRPC calls made by this service.');
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
  const svidTtlAtRotation = new Histogram({
    name: 'spiffe_svid_ttl_seconds_at_rotation',
    help: 'Remaining lifetime of each new X509-SVID when it was received.',
    buckets: [1, 10, 60, 300, 900, 1800, 3600, 7200, 86400],
    registers: [registry],
  });
  return {
    registry,
    grpcServerHandled: server.handled,
    grpcServerDuration: server.duration,
    grpcClientHandled: client.handled,
    grpcClientDuration: client.duration,
    authzDenied,
    svidRotations,
    svidTtlAtRotation,
  };
}
