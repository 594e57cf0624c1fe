/**
 * A fake HashiCorp Vault for tests: a real HTTP(S) server on 127.0.0.1 speaking Vault's wire
 * shapes for the endpoints this package uses —
 *
 * - `POST /v1/auth/<mount>/login` (Kubernetes `{role, jwt}`, AppRole `{role_id, secret_id}`) →
 *   `{auth: {client_token, accessor, policies, lease_duration, renewable, …}}`;
 * - `POST /v1/auth/token/renew-self`, `GET /v1/auth/token/lookup-self` with `X-Vault-Token`;
 * - `GET /v1/<mount>/data/<path>` (KV v2) → `{data: {data: {…}, metadata: {version, …}}}`;
 * - errors as `{"errors": [...]}`: 400 bad login, 403 `permission denied`, 404 `{"errors":[]}`,
 *   503 `Vault is sealed`.
 *
 * Switches make it misbehave: sealed, renewal refused, reads denied, hanging, and error
 * messages that echo the credentials (to prove that clients do not repeat them).
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeVaultRequest {
  method: string;
  path: string;
  /** The X-Vault-Token header, when sent. */
  token: string | undefined;
  /** The parsed JSON body, when there was one. */
  body: Record<string, unknown> | undefined;
  status: number;
  /** For a successful login: the token issued. */
  issuedToken?: string;
}

export interface FakeVaultOptions {
  /** Serve HTTPS with this certificate chain and key (PEM). */
  tls?: { cert: string; key: string };
  /** Lease of issued tokens, seconds (default 3600). */
  tokenTtlSeconds?: number;
  /** Whether issued tokens are renewable (default true). */
  renewable?: boolean;
  /** A token's total lifetime cap, seconds (default: none). Renewals beyond it get the remainder. */
  maxTtlSeconds?: number;
}

interface TokenState {
  expiresAt: number;
  renewable: boolean;
  createdAt: number;
  ttlSeconds: number;
}

export class FakeVault {
  /** Every request seen, in order. */
  readonly requests: FakeVaultRequest[] = [];
  /** Kubernetes auth roles: role → the JWT it accepts. */
  readonly kubernetesRoles = new Map<string, string>();
  /** AppRole: role_id → secret_id. */
  readonly approles = new Map<string, string>();
  /** Auth mounts: mount path → method. */
  readonly authMounts = new Map<string, 'kubernetes' | 'approle'>([
    ['kubernetes', 'kubernetes'],
    ['approle', 'approle'],
  ]);
  sealed = false;
  /** Answer renew-self with 403 permission denied. */
  refuseRenewal = false;
  /** KV paths (`<mount>/<path>`) that answer 403 to every token. */
  readonly deniedPaths = new Set<string>();
  /** Error messages repeat the token and the request body (a careless upstream). */
  echoCredentials = false;
  /** Requests to paths starting with this never get an answer (until close). */
  hangPrefix: string | undefined;
  tokenTtlSeconds: number;
  renewable: boolean;
  maxTtlSeconds: number | undefined;

  private readonly server: Server;
  private readonly tokens = new Map<string, TokenState>();
  private readonly kv = new Map<string, Array<Record<string, unknown>>>();
  private readonly hanging = new Set<ServerResponse>();

  private readonly tls: boolean;

  private constructor(server: Server, opts: FakeVaultOptions) {
    this.server = server;
    this.tls = opts.tls !== undefined;
    this.tokenTtlSeconds = opts.tokenTtlSeconds ?? 3600;
    this.renewable = opts.renewable ?? true;
    this.maxTtlSeconds = opts.maxTtlSeconds;
  }

  /** Starts the server on 127.0.0.1 and an ephemeral port. Close it with {@link FakeVault.close}. */
  static async start(opts: FakeVaultOptions = {}): Promise<FakeVault> {
    const server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }) : createHttpServer();
    const fake = new FakeVault(server, opts);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => fake.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http(s)://127.0.0.1:<port>` */
  get addr(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** Writes a new version of a KV v2 secret (`mount` e.g. `secret`, `path` e.g. `stats-agent/research`). */
  put(mount: string, path: string, data: Record<string, unknown>): number {
    const key = `${mount}/${path}`;
    const versions = this.kv.get(key) ?? [];
    versions.push({ ...data });
    this.kv.set(key, versions);
    return versions.length;
  }

  /** Issues a token directly (for token auth). */
  issueToken(ttlSeconds = this.tokenTtlSeconds, renewable = this.renewable): string {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    const now = Date.now();
    this.tokens.set(token, { expiresAt: ttlSeconds > 0 ? now + ttlSeconds * 1000 : Number.POSITIVE_INFINITY, renewable, createdAt: now, ttlSeconds });
    return token;
  }

  /** Tokens issued so far by logins (in order). */
  get loginTokens(): string[] {
    return this.requests.flatMap((r) => (r.issuedToken !== undefined ? [r.issuedToken] : []));
  }

  /** Requests matching a method and path. */
  seen(method: string, path: string | RegExp): FakeVaultRequest[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- protocol -----------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) {
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://vault');
      const header = req.headers['x-vault-token'];
      const token = typeof header === 'string' && header !== '' ? header : undefined;
      let body: Record<string, unknown> | undefined;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text !== '') {
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = undefined;
        }
      }
      const record: FakeVaultRequest = { method: req.method ?? 'GET', path: url.pathname, token, body, status: 0 };
      this.requests.push(record);
      if (this.hangPrefix !== undefined && url.pathname.startsWith(this.hangPrefix)) {
        this.hanging.add(res);
        return;
      }
      const [status, payload] = this.route(record);
      record.status = status;
      if (record.path.endsWith('/login') && status === 200) {
        record.issuedToken = (payload as { auth: { client_token: string } }).auth.client_token;
      }
      const out = JSON.stringify(payload);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  }

  private error(status: number, message: string | undefined, r: FakeVaultRequest): [number, unknown] {
    if (message === undefined) return [status, { errors: [] }];
    const echo = this.echoCredentials ? ` (token ${r.token ?? '-'}, request ${JSON.stringify(r.body ?? {})})` : '';
    return [status, { errors: [`${message}${echo}`] }];
  }

  private route(r: FakeVaultRequest): [number, unknown] {
    if (this.sealed) return this.error(503, 'Vault is sealed', r);
    const p = r.path;
    const login = /^\/v1\/auth\/(.+)\/login$/.exec(p);
    if (r.method === 'POST' && login?.[1] !== undefined) return this.login(login[1], r);
    if (r.method === 'POST' && p === '/v1/auth/token/renew-self') return this.renewSelf(r);
    if (r.method === 'GET' && p === '/v1/auth/token/lookup-self') return this.lookupSelf(r);
    const kv = /^\/v1\/(.+?)\/data\/(.+)$/.exec(p);
    if (r.method === 'GET' && kv?.[1] !== undefined && kv[2] !== undefined) return this.readKv(kv[1], kv[2], r);
    return this.error(404, '1 error occurred:\n\t* unsupported path\n\n', r);
  }

  private live(r: FakeVaultRequest): TokenState | undefined {
    const state = r.token === undefined ? undefined : this.tokens.get(r.token);
    return state !== undefined && state.expiresAt > Date.now() ? state : undefined;
  }

  private authBody(token: string, state: TokenState, policies: string[], metadata: Record<string, string>): unknown {
    const lease = Number.isFinite(state.expiresAt) ? Math.max(0, Math.round((state.expiresAt - Date.now()) / 1000)) : 0;
    return {
      request_id: randomBytes(8).toString('hex'),
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: null,
      warnings: null,
      auth: {
        client_token: token,
        accessor: randomBytes(12).toString('base64url'),
        policies: ['default', ...policies],
        token_policies: ['default', ...policies],
        metadata,
        lease_duration: lease,
        renewable: state.renewable,
        entity_id: randomBytes(8).toString('hex'),
        token_type: 'service',
        orphan: true,
      },
    };
  }

  private login(mount: string, r: FakeVaultRequest): [number, unknown] {
    const method = this.authMounts.get(mount);
    if (method === undefined) return this.error(400, `no handler for route "auth/${mount}/login". route entry not found.`, r);
    const b = r.body ?? {};
    if (method === 'kubernetes') {
      const role = typeof b['role'] === 'string' ? b['role'] : '';
      const jwt = typeof b['jwt'] === 'string' ? b['jwt'] : '';
      if (role === '') return this.error(400, 'missing role', r);
      if (jwt === '') return this.error(400, 'missing jwt', r);
      const expected = this.kubernetesRoles.get(role);
      if (expected === undefined) return this.error(400, `invalid role name "${role}"`, r);
      if (expected !== jwt) return this.error(403, 'permission denied', r);
      const token = this.issueToken();
      return [200, this.authBody(token, this.tokens.get(token) as TokenState, ['stats-agent'], { role, service_account_name: role })];
    }
    const roleId = typeof b['role_id'] === 'string' ? b['role_id'] : '';
    const secretId = typeof b['secret_id'] === 'string' ? b['secret_id'] : '';
    if (roleId === '') return this.error(400, 'missing role_id', r);
    if (this.approles.get(roleId) !== secretId) return this.error(400, 'invalid role or secret ID', r);
    const token = this.issueToken();
    return [200, this.authBody(token, this.tokens.get(token) as TokenState, ['stats-agent'], { role_name: 'stats-agent' })];
  }

  private renewSelf(r: FakeVaultRequest): [number, unknown] {
    const state = this.live(r);
    if (state === undefined || this.refuseRenewal) return this.error(403, 'permission denied', r);
    if (!state.renewable) return this.error(400, 'lease is not renewable', r);
    const now = Date.now();
    let ttl = state.ttlSeconds;
    if (this.maxTtlSeconds !== undefined) ttl = Math.max(0, Math.min(ttl, Math.floor((state.createdAt + this.maxTtlSeconds * 1000 - now) / 1000)));
    state.expiresAt = now + ttl * 1000;
    return [200, this.authBody(r.token ?? '', state, ['stats-agent'], {})];
  }

  private lookupSelf(r: FakeVaultRequest): [number, unknown] {
    const state = this.live(r);
    if (state === undefined) return this.error(403, 'permission denied', r);
    const ttl = Number.isFinite(state.expiresAt) ? Math.max(0, Math.round((state.expiresAt - Date.now()) / 1000)) : 0;
    return [200, { request_id: randomBytes(8).toString('hex'), lease_id: '', renewable: false, lease_duration: 0, data: { accessor: 'a', policies: ['default'], ttl, renewable: state.renewable, type: 'service', id: r.token }, wrap_info: null, warnings: null, auth: null }];
  }

  private readKv(mount: string, path: string, r: FakeVaultRequest): [number, unknown] {
    if (this.live(r) === undefined) return this.error(403, 'permission denied', r);
    if (this.deniedPaths.has(`${mount}/${path}`)) return this.error(403, 'permission denied', r);
    const versions = this.kv.get(`${mount}/${path}`);
    const data = versions?.[versions.length - 1];
    if (versions === undefined || data === undefined) return this.error(404, undefined, r);
    return [
      200,
      {
        request_id: randomBytes(8).toString('hex'),
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data: { data, metadata: { created_time: new Date().toISOString(), custom_metadata: null, deletion_time: '', destroyed: false, version: versions.length } },
        wrap_info: null,
        warnings: null,
        auth: null,
      },
    ];
  }
}
