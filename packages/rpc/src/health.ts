import { status, type Client, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { loadProtos, type HealthCheckResponse__Output, type HealthHandlers } from '@stats-agent/proto';
import { metadataWithRequestId } from './metadata.js';

export type ServingStatus = 'SERVING' | 'NOT_SERVING';

const MAX_WATCHERS = 64;

/**
 * The standard grpc.health.v1 service. `''` is the whole server; each service name can be
 * set on its own. Watchers are bounded and get every change until they cancel.
 */
export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Set<{ service: string; call: ServerWritableStream<unknown, unknown> }>();

  constructor(services: string[]) {
    this.statuses.set('', 'SERVING');
    for (const s of services) this.statuses.set(s, 'SERVING');
  }

  set(service: string, value: ServingStatus): void {
    this.statuses.set(service, value);
    for (const w of this.watchers) if (w.service === service) w.call.write({ status: value });
  }

  /** Marks every service NOT_SERVING (draining) and ends the watch streams. */
  shutdown(): void {
    for (const s of this.statuses.keys()) this.set(s, 'NOT_SERVING');
    for (const w of this.watchers) w.call.end();
    this.watchers.clear();
  }

  handlers(): HealthHandlers {
    return {
      Check: (call: ServerUnaryCall<{ service: string }, unknown>, callback: sendUnaryData<{ status: string }>) => {
        const s = this.statuses.get(call.request.service);
        if (!s) callback({ code: status.NOT_FOUND, details: `unknown service ${call.request.service}` });
        else callback(null, { status: s });
      },
      Watch: (call: ServerWritableStream<{ service: string }, unknown>) => {
        if (this.watchers.size >= MAX_WATCHERS) {
          call.destroy(Object.assign(new Error('too many watchers'), { code: status.RESOURCE_EXHAUSTED }));
          return;
        }
        const entry = { service: call.request.service, call };
        this.watchers.add(entry);
        call.write({ status: this.statuses.get(call.request.service) ?? 'SERVICE_UNKNOWN' });
        call.on('cancelled', () => this.watchers.delete(entry));
      },
    } as HealthHandlers;
  }
}

/**
 * Asks an agent whether it serves, over the channel of any client of that agent (no second
 * channel): resolves true only on SERVING within the deadline; rejects on call errors.
 */
export function isServing(client: Client, opts: { timeoutMs: number; requestId: string; service?: string }): Promise<boolean> {
  const check = loadProtos().health.Health.service.Check;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      check.path,
      check.requestSerialize,
      check.responseDeserialize,
      { service: opts.service ?? '' },
      metadataWithRequestId(opts.requestId),
      { deadline: new Date(Date.now() + opts.timeoutMs) },
      (err, res?: HealthCheckResponse__Output) => (err ? reject(err) : resolve(res?.status === 'SERVING')),
    );
  });
}
