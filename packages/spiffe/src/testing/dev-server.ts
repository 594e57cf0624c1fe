import { lstat, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerWritableStream,
  type StatusObject,
} from '@grpc/grpc-js';
import { loadProtos, type SpiffeWorkloadAPIHandlers, type X509SVIDResponse } from '@stats-agent/proto';
import { SpiffeId, TrustDomain } from '../id.js';
import { silentLogger, type Logger } from '../logger.js';
import { WORKLOAD_API_HEADER } from '../workload-client.js';
import { TestCa, type MintedSvid } from './ca.js';

export interface DevWorkloadApiServerOptions {
  /** Default `stats-agent.local` (or the trust domain of `ca` when given). */
  trustDomain?: string;
  /** Folder of the sockets; created mode 0700. */
  socketDir: string;
  /** Workload name (socket file name) → SPIFFE ID. */
  workloads: Record<string, string>;
  /** SVID lifetime (default 3600 s). */
  ttlSeconds?: number;
  /** Push a fresh SVID this often (default ttl/2; at least 0.1 s, at most ttl). */
  rotateAfterSeconds?: number;
  /** The CA to issue from (default: a fresh one). */
  ca?: TestCa;
  logger?: Logger;
}

type X509Stream = ServerWritableStream<unknown, X509SVIDResponse>;

interface WorkloadState {
  name: string;
  spiffeId: SpiffeId;
  socketPath: string;
  server: Server;
  current: MintedSvid;
  streams: Set<X509Stream>;
  /** Serializes rotations of this workload. */
  queue: Promise<void>;
}

const WORKLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** sockaddr_un.sun_path is 108 bytes on Linux, NUL included. */
const MAX_SOCKET_PATH = 107;

function unimplemented(method: string): Partial<StatusObject> {
  return { code: status.UNIMPLEMENTED, details: `${method} is not implemented by the development Workload API server` };
}

/**
 * A development SPIFFE Workload API: one unix socket per workload (`<socketDir>/<name>.sock`;
 * without peer attestation in Node the socket is what tells workloads apart), speaking the real
 * protocol. FetchX509SVID requires the `workload.spiffe.io: true` header (InvalidArgument
 * otherwise), answers with the workload's SVID, its PKCS#8 key and the bundle, and pushes a newly
 * minted SVID on every open stream every `rotateAfterSeconds` and on rotateNow(). The other
 * methods answer UNIMPLEMENTED. close() ends the streams and removes the sockets.
 */
export class DevWorkloadApiServer {
  readonly ca: TestCa;
  private readonly workloads = new Map<string, WorkloadState>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  private constructor(
    ca: TestCa,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
  ) {
    this.ca = ca;
  }

  /** Creates the sockets and starts serving. Rejects on a bad option or a socket that cannot be bound. */
  static async start(opts: DevWorkloadApiServerOptions): Promise<DevWorkloadApiServer> {
    const td = TrustDomain.parse(opts.trustDomain ?? opts.ca?.trustDomain.name ?? 'stats-agent.local');
    if (opts.ca && !opts.ca.trustDomain.equals(td)) {
      throw new Error(`DevWorkloadApiServer: the CA is for trust domain ${opts.ca.trustDomain.name}, not ${td.name}`);
    }
    const ttlSeconds = opts.ttlSeconds ?? 3600;
    const rotateAfterSeconds = opts.rotateAfterSeconds ?? ttlSeconds / 2;
    if (!(ttlSeconds >= 1)) throw new Error('DevWorkloadApiServer: ttlSeconds must be at least 1');
    if (!(rotateAfterSeconds >= 0.1 && rotateAfterSeconds <= ttlSeconds)) {
      throw new Error('DevWorkloadApiServer: rotateAfterSeconds must be between 0.1 and ttlSeconds');
    }
    const entries = Object.entries(opts.workloads);
    if (entries.length === 0) throw new Error('DevWorkloadApiServer: no workloads');
    const ids = entries.map(([name, id]) => {
      if (!WORKLOAD_NAME.test(name)) {
        throw new Error(`DevWorkloadApiServer: workload name ${JSON.stringify(name)} must match ${WORKLOAD_NAME.source}`);
      }
      const spiffeId = SpiffeId.parse(id);
      if (!spiffeId.memberOf(td)) {
        throw new Error(`DevWorkloadApiServer: ${id} is not in trust domain ${td.name}`);
      }
      return [name, spiffeId] as const;
    });

    await mkdir(opts.socketDir, { recursive: true, mode: 0o700 });
    const ca = opts.ca ?? (await TestCa.create({ trustDomain: td.name, validForSeconds: Math.max(86_400, ttlSeconds * 4) }));
    const logger = opts.logger ?? silentLogger;
    const dev = new DevWorkloadApiServer(ca, ttlSeconds, logger);
    try {
      for (const [name, spiffeId] of ids) await dev.serve(opts.socketDir, name, spiffeId);
    } catch (err) {
      await dev.close();
      throw err;
    }
    for (const name of dev.workloads.keys()) {
      const timer = setInterval(() => {
        dev.rotate(name).catch((err: unknown) => {
          logger.error({ event: 'rotation-failed', workload: name, err: { message: (err as Error).message } }, 'rotation failed');
        });
      }, rotateAfterSeconds * 1000);
      timer.unref();
      dev.timers.push(timer);
    }
    logger.info(
      {
        event: 'started',
        trustDomain: td.name,
        workloads: Object.fromEntries(
          [...dev.workloads.values()].map((w) => [w.name, { spiffeId: w.spiffeId.toString(), socketPath: w.socketPath, endpoint: `unix://${w.socketPath}` }]),
        ),
      },
      'development Workload API server started',
    );
    return dev;
  }

  private async serve(socketDir: string, name: string, spiffeId: SpiffeId): Promise<void> {
    const socketPath = join(socketDir, `${name}.sock`);
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
      throw new Error(`DevWorkloadApiServer: socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes`);
    }
    await removeStaleSocket(socketPath);
    const server = new Server();
    const state: WorkloadState = {
      name,
      spiffeId,
      socketPath,
      server,
      current: await this.mint(spiffeId),
      streams: new Set(),
      queue: Promise.resolve(),
    };
    server.addService(loadProtos().workload.SpiffeWorkloadAPI.service, this.handlers(state));
    this.workloads.set(name, state);
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
    });
  }

  private mint(spiffeId: SpiffeId): Promise<MintedSvid> {
    return this.ca.mintSvid({ spiffeId: spiffeId.toString(), ttlSeconds: this.ttlSeconds });
  }

  private response(state: WorkloadState): X509SVIDResponse {
    return {
      svids: [
        {
          spiffe_id: state.spiffeId.toString(),
          x509_svid: state.current.certChainDer,
          x509_svid_key: state.current.privateKeyPkcs8Der,
          bundle: this.ca.bundleDer(),
          hint: '',
        },
      ],
      crl: [],
      federated_bundles: {},
    };
  }

  private handlers(state: WorkloadState): SpiffeWorkloadAPIHandlers {
    return {
      FetchX509SVID: (call) => {
        const header = call.metadata.get(WORKLOAD_API_HEADER);
        if (header.length !== 1 || header[0] !== 'true') {
          this.logger.warn({ event: 'rejected', workload: state.name, reason: 'missing security header' }, 'call rejected');
          call.emit('error', { code: status.INVALID_ARGUMENT, details: 'security header missing from request' });
          return;
        }
        const stream = call as X509Stream;
        state.streams.add(stream);
        const forget = (): void => {
          state.streams.delete(stream);
        };
        call.on('cancelled', forget);
        call.on('close', forget);
        call.on('finish', forget);
        this.logger.debug({ event: 'stream-opened', workload: state.name, streams: state.streams.size }, 'FetchX509SVID stream opened');
        call.write(this.response(state));
      },
      FetchX509Bundles: (call) => {
        call.emit('error', unimplemented('FetchX509Bundles'));
      },
      FetchJWTBundles: (call) => {
        call.emit('error', unimplemented('FetchJWTBundles'));
      },
      FetchJWTSVID: (_call, callback: sendUnaryData<never>) => {
        callback(unimplemented('FetchJWTSVID'));
      },
      ValidateJWTSVID: (_call, callback: sendUnaryData<never>) => {
        callback(unimplemented('ValidateJWTSVID'));
      },
    };
  }

  private rotate(name: string): Promise<void> {
    const state = this.workloads.get(name);
    if (!state) return Promise.reject(new Error(`DevWorkloadApiServer: unknown workload ${JSON.stringify(name)}`));
    const run = async (): Promise<void> => {
      if (this.closed) return;
      state.current = await this.mint(state.spiffeId);
      const response = this.response(state);
      for (const stream of state.streams) stream.write(response);
      this.logger.info(
        {
          event: 'rotated',
          workload: name,
          spiffeId: state.spiffeId.toString(),
          serial: state.current.serialNumber,
          expiresAt: state.current.expiresAt.toISOString(),
          streams: state.streams.size,
        },
        'X509-SVID rotated',
      );
    };
    state.queue = state.queue.then(run, run);
    return state.queue;
  }

  private state(workload: string): WorkloadState {
    const state = this.workloads.get(workload);
    if (!state) throw new Error(`DevWorkloadApiServer: unknown workload ${JSON.stringify(workload)}`);
    return state;
  }

  /** `<socketDir>/<workload>.sock`. Throws for an unknown workload. */
  socketPath(workload: string): string {
    return this.state(workload).socketPath;
  }

  /** `unix://<socketPath>`: the SPIFFE_ENDPOINT_SOCKET value for `workload`. */
  endpoint(workload: string): string {
    return `unix://${this.socketPath(workload)}`;
  }

  /** The SVID currently served to `workload` (tests compare serials with it). */
  currentSvid(workload: string): MintedSvid {
    return this.state(workload).current;
  }

  /** Mints and pushes a fresh SVID on every open stream of `workload` (of all workloads if omitted). */
  async rotateNow(workload?: string): Promise<void> {
    const names = workload === undefined ? [...this.workloads.keys()] : [this.state(workload).name];
    await Promise.all(names.map((n) => this.rotate(n)));
  }

  /** Stops rotation, ends every stream, shuts the servers down and removes the sockets. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.all(
      [...this.workloads.values()].map(async (state) => {
        await state.queue.catch(() => {});
        for (const stream of state.streams) stream.end();
        state.streams.clear();
        await shutdown(state.server);
        await rm(state.socketPath, { force: true });
      }),
    );
    this.logger.info({ event: 'stopped' }, 'development Workload API server stopped');
  }
}

/** Graceful shutdown, forced after a second (a client may hold a stream it never reads). */
function shutdown(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 1000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (!st.isSocket()) throw new Error(`DevWorkloadApiServer: ${path} exists and is not a socket; not removing it`);
    await rm(path, { force: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
