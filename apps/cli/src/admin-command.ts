/**
 * Operator commands against the orchestrator's admin endpoints (an API key with the
 * `stats:admin` scope):
 *
 *   stats-agent dlq list [--state open|retried|dropped|all] [--kind run|item] [--run <id>] [--limit n] [--json]
 *   stats-agent dlq show <id> [--json]
 *   stats-agent dlq retry <id> [--json]
 *   stats-agent dlq drop <id> [--json]
 *   stats-agent subjects erase <owner> --yes [--json]
 *
 * Exit codes: 0 done, 1 refused or failed (the server's error code and message on stderr).
 */
import { Option, type Command } from 'commander';
import { ApiError, DEFAULT_URL, authHeaders, clean, positiveInt, requestJson, resolveApiKey } from './api.js';

interface CommonOptions {
  url: string;
  apiKeyFile?: string;
  timeout: number;
  json: boolean;
}

const short = (v: unknown, max: number): string => {
  const s = clean(v).replace(/\s+/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
};

/** One admin call: JSON back, or an ApiError with the server's code and message. */
export async function adminRequest(o: CommonOptions, method: 'GET' | 'POST' | 'DELETE', path: string): Promise<Record<string, unknown>> {
  const { status, body } = await requestJson(o.url, path, {
    method,
    headers: authHeaders(await resolveApiKey(o)),
    signal: AbortSignal.timeout(o.timeout),
    timeoutMs: o.timeout,
    forbiddenHint: 'these commands need an API key with the stats:admin scope',
  });
  if (typeof body !== 'object' || body === null) throw new ApiError(status, 'bad_response', 'the orchestrator answered with something that is not JSON');
  return body as Record<string, unknown>;
}

type Letter = Record<string, unknown>;

export function formatLetters(letters: Letter[]): string {
  if (letters.length === 0) return 'no dead letters\n';
  const rows = letters.map((l) => [clean(l['id']), clean(l['kind']), clean(l['state']), clean(l['run_id']), clean(l['attempts']), clean(l['created_at']), short(l['last_error'], 60)]);
  const head = ['ID', 'KIND', 'STATE', 'RUN', 'ATTEMPTS', 'CREATED', 'LAST ERROR'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}\n`;
  return line(head) + rows.map(line).join('');
}

export function formatLetter(l: Letter): string {
  const out = [
    `id:          ${clean(l['id'])}`,
    `kind:        ${clean(l['kind'])}`,
    `state:       ${clean(l['state'])}`,
    `run:         ${clean(l['run_id'])}${l['run'] ? ` (${clean((l['run'] as { status?: unknown }).status)})` : l['run'] === null ? ' (deleted)' : ''}`,
    ...(l['item_key'] ? [`item:        ${clean(l['item_key'])}`] : []),
    `owner:       ${clean(l['owner'])}`,
    `attempts:    ${clean(l['attempts'])}`,
    `created:     ${clean(l['created_at'])}`,
    `updated:     ${clean(l['updated_at'])}`,
    `last error:  ${short(l['last_error'], 500)}`,
    `context:     ${short(JSON.stringify(l['context'] ?? {}), 500)}`,
  ];
  const item = l['item'] as { status?: unknown; candidate?: Record<string, unknown> } | undefined;
  if (item?.candidate) out.push(`candidate:   ${short(item.candidate['name'], 120)} = ${clean(item.candidate['value'])} ${clean(item.candidate['unit'])} (${short(item.candidate['source_url'], 200)}) [${clean(item.status)}]`);
  return `${out.join('\n')}\n`;
}

function common(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'orchestrator base URL (env STATS_AGENT_URL)', DEFAULT_URL)
    .option('--api-key-file <file>', 'file holding an API key with the stats:admin scope (else env STATS_AGENT_API_KEY)')
    .option('--timeout <ms>', 'give up after this many milliseconds', positiveInt, 30_000)
    .option('--json', 'print the server\'s JSON answer', false);
}

/** Runs an action; a failure is one line on stderr and exit code 1. */
function act<A extends unknown[]>(fn: (...args: A) => Promise<string>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.stdout.write(await fn(...args));
    } catch (err) {
      if (err instanceof ApiError) process.stderr.write(`stats-agent: ${err.code}: ${err.message}\n`);
      else process.stderr.write(`stats-agent: ${err instanceof Error ? clean(err.message) : clean(err)}\n`);
      process.exitCode = 1;
    }
  };
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
const letterPath = (id: string): string => `/v1/admin/dlq/${encodeURIComponent(id)}`;

/** Adds `dlq …` and `subjects erase` to the CLI. */
export function registerAdminCommands(program: Command): void {
  const dlq = program.command('dlq').description('dead letters: runs and candidates that kept failing, set aside for an operator (stats:admin)');

  common(dlq.command('list').description('list dead letters, newest first'))
    .addOption(new Option('--state <state>', 'which ones').choices(['open', 'retried', 'dropped', 'all']).default('open'))
    .addOption(new Option('--kind <kind>', 'runs or items only').choices(['run', 'item']))
    .option('--run <id>', 'only those of this run')
    .option('--limit <n>', 'at most this many (1-1000)', positiveInt, 100)
    .action(
      act(async (o: CommonOptions & { state: string; kind?: string; run?: string; limit: number }) => {
        const q = new URLSearchParams();
        if (o.state !== 'all') q.set('state', o.state);
        if (o.kind) q.set('kind', o.kind);
        if (o.run) q.set('run_id', o.run);
        q.set('limit', String(o.limit));
        const body = await adminRequest(o, 'GET', `/v1/admin/dlq?${q.toString()}`);
        const letters = Array.isArray(body['dead_letters']) ? (body['dead_letters'] as Letter[]) : [];
        return o.json ? json(body) : formatLetters(letters);
      }),
    );

  common(dlq.command('show').description('one dead letter: its last error, context, run and candidate').argument('<id>', 'dead letter id (dlq_…)')).action(
    act(async (id: string, o: CommonOptions) => {
      const body = await adminRequest(o, 'GET', letterPath(id));
      return o.json ? json(body) : formatLetter(body);
    }),
  );

  common(
    dlq
      .command('retry')
      .description('give the work back: a run is queued again; a candidate of a finished run is verified again now and, verified, added to the run result')
      .argument('<id>', 'dead letter id (dlq_…)'),
  ).action(
    act(async (id: string, o: CommonOptions) => {
      const body = await adminRequest(o, 'POST', `${letterPath(id)}/retry`);
      if (o.json) return json(body);
      const run = body['run'] as { run_id?: unknown; status?: unknown } | undefined;
      switch (body['outcome']) {
        case 'requeued':
          return `retried ${clean(id)}: run ${clean(run?.run_id)} is ${clean(run?.status)}; a worker picks it up at its next sweep\n`;
        case 'verified':
          return `retried ${clean(id)}: the candidate verified${body['result_amended'] ? ` and was added to the result of run ${clean(run?.run_id)}` : ''}\n`;
        default:
          return `retried ${clean(id)}: the candidate did not verify (${clean(body['reason'])}); it is marked failed\n`;
      }
    }),
  );

  common(dlq.command('drop').description('close a dead letter without retrying it').argument('<id>', 'dead letter id (dlq_…)')).action(
    act(async (id: string, o: CommonOptions) => {
      const body = await adminRequest(o, 'DELETE', letterPath(id));
      return o.json ? json(body) : `dropped ${clean(id)}\n`;
    }),
  );

  const subjects = program.command('subjects').description('data subjects: the principals that own runs (stats:admin)');
  common(
    subjects
      .command('erase')
      .description('erase every run, item, event and dead letter of a principal and have the research agent forget its topics (irreversible; the audit trail records that it happened)')
      .argument('<owner>', 'the principal as runs name it: api_key:<key id>, jwt:<token subject> or anonymous')
      .option('--yes', 'really erase (required)', false),
  ).action(
    act(async (owner: string, o: CommonOptions & { yes: boolean }) => {
      if (!o.yes) throw new Error(`erasing ${clean(owner)} cannot be undone: pass --yes to go ahead`);
      const body = await adminRequest(o, 'DELETE', `/v1/subjects/${encodeURIComponent(owner)}`);
      if (o.json) return json(body);
      const e = (body['erased'] ?? {}) as Record<string, unknown>;
      const cache = (body['cache'] ?? {}) as { reached?: unknown; topics?: unknown; forgotten?: unknown; error?: unknown };
      const cacheLine = cache.reached
        ? `cache: ${clean(cache.topics)} topic(s) forgotten (${clean(cache.forgotten)} entries)`
        : `cache: NOT reached — ${clean(cache.error)}`;
      return `erased ${clean(owner)}: ${clean(e['runs'])} runs, ${clean(e['steps'])} steps, ${clean(e['items'])} items, ${clean(e['events'])} events, ${clean(e['dead_letters'])} dead letters\n${cacheLine}\n`;
    }),
  );
}
