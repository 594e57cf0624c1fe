#!/usr/bin/env node
import { Command, Option } from 'commander';
import { launchTeam, type Team } from '@stats-agent/launcher';
import { readFile, stat } from 'node:fs/promises';
import { ApiError, DEFAULT_URL, authHeaders, positiveInt, resolveApiKey, verify, type SearchParams } from './api.js';
import { formatTable, formatVerdicts } from './format.js';
import { formatProgress, searchWithProgress } from './runs.js';
import { registerAuditCommand } from './audit-command.js';
import { registerAdminCommands } from './admin-command.js';


function fail(err: unknown): never {
  if (err instanceof ApiError) process.stderr.write(`stats-agent: ${err.code}: ${err.message}\n`);
  else process.stderr.write(`stats-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

/** Runs the search as an asynchronous run: progress lines on stderr (unless quiet), the result on stdout. */
async function runSearch(url: string, params: SearchParams, output: string, timeoutMs: number, quiet = false, headers: Record<string, string> = {}): Promise<number> {
  if (!quiet) process.stderr.write(`searching "${params.topic}" at ${url} …\n`);
  const { raw, parsed } = await searchWithProgress(url, params, {
    timeoutMs,
    headers,
    ...(quiet ? {} : { onProgress: (p) => process.stderr.write(`  ${formatProgress(p)}`) }),
  });
  if (!quiet) process.stderr.write(`done: ${parsed.verified_count} verified of ${parsed.total_candidates} candidates${parsed.partial ? ` (partial: ${parsed.target_count} wanted)` : ''}\n`);
  process.stdout.write(output === 'json' ? `${JSON.stringify(raw, null, 2)}\n` : formatTable(parsed));
  return parsed.verified_count > 0 ? 0 : 3;
}

const progress = (e: { stage: string; name: string; detail?: string }): void => {
  process.stderr.write(`  ${e.stage.padEnd(8)} ${e.name}${e.detail ? `  ${e.detail}` : ''}\n`);
};

async function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

async function stopTeam(team: Team): Promise<void> {
  const codes = await team.stop();
  const unclean = Object.entries(codes).filter(([, c]) => c !== 0);
  if (unclean.length) process.stderr.write(`stopped; not clean: ${unclean.map(([n, c]) => `${n}=${c}`).join(', ')}\n`);
  else process.stderr.write('stopped cleanly\n');
}

const program = new Command()
  .name('stats-agent')
  .description('Find statistics on a topic and get back only those verified again in their source.')
  .showHelpAfterError();

program
  .command('search')
  .description('ask the orchestrator for verified statistics on a topic')
  .argument('<topic>', 'what the statistics should be about')
  .option('--min-stats <n>', 'verified statistics wanted', positiveInt, 10)
  .option('--max-candidates <n>', 'most candidates to verify', positiveInt, 30)
  .option('--reputable-only', 'only reputable sources', false)
  .option('--since <year>', 'only statistics about this year or later', positiveInt)
  .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
  .option('--url <url>', 'orchestrator base URL (env STATS_AGENT_URL)', DEFAULT_URL)
  .option('--timeout <ms>', 'give up after this many milliseconds', positiveInt, 180_000)
  .option('--quiet', 'no progress on stderr', false)
  .option('--api-key-file <file>', 'file holding the API key (else env STATS_AGENT_API_KEY)')
  .action(async (topic: string, o: { minStats: number; maxCandidates: number; reputableOnly: boolean; since?: number; output: string; url: string; timeout: number; quiet: boolean; apiKeyFile?: string }) => {
    const headers = authHeaders(await resolveApiKey(o).catch(fail));
    const code = await runSearch(
      o.url,
      {
        topic,
        min_verified_stats: o.minStats,
        max_candidates: o.maxCandidates,
        reputable_only: o.reputableOnly,
        ...(o.since !== undefined ? { since: o.since } : {}),
      },
      o.output,
      o.timeout,
      o.quiet,
      headers,
    ).catch(fail);
    process.exit(code);
  });

const MAX_CANDIDATE_FILE_BYTES = 5 * 1024 * 1024;

/** Reads a JSON file of candidates: an array, or `{ "candidates": [...] }`. */
async function readCandidates(file: string): Promise<unknown[]> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new Error(`${file}: no such file`);
  if (info.size > MAX_CANDIDATE_FILE_BYTES) throw new Error(`${file}: larger than ${MAX_CANDIDATE_FILE_BYTES} bytes`);
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const list = Array.isArray(data) ? data : (data as { candidates?: unknown } | null)?.candidates;
  if (!Array.isArray(list)) throw new Error(`${file}: expected an array of candidates or {"candidates": [...]}`);
  return list;
}

program
  .command('verify')
  .description('check candidate statistics against their sources (the verification agent fetches each page itself)')
  .argument('<candidates.json>', 'an array of {name, value, unit, source, source_url, excerpt}, or {"candidates": [...]}')
  .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
  .option('--url <url>', 'orchestrator base URL (env STATS_AGENT_URL)', DEFAULT_URL)
  .option('--timeout <ms>', 'give up after this many milliseconds', positiveInt, 120_000)
  .option('--api-key-file <file>', 'file holding the API key (else env STATS_AGENT_API_KEY)')
  .action(async (file: string, o: { output: string; url: string; timeout: number; apiKeyFile?: string }) => {
    const headers = authHeaders(await resolveApiKey(o).catch(fail));
    const candidates = await readCandidates(file).catch(fail);
    process.stderr.write(`verifying ${candidates.length} candidate(s) at ${o.url} …\n`);
    const { raw, parsed } = await verify(o.url, candidates, o.timeout, headers).catch(fail);
    process.stdout.write(o.output === 'json' ? `${JSON.stringify(raw, null, 2)}\n` : formatVerdicts(parsed));
    process.exit(parsed.failed_count === 0 ? 0 : 3);
  });

program
  .command('up')
  .description('start the team locally (development SPIFFE server, corpus server, four agents) until Ctrl-C')
  .option('--corpus <dir>', 'folder of HTML/Markdown/text pages to search instead of the sample corpus')
  .option('--auto-ports', 'use free ports instead of the default ones', false)
  .action(async (o: { corpus?: string; autoPorts: boolean }) => {
    process.stderr.write('starting the team…\n');
    const team = await launchTeam({ ports: o.autoPorts ? 'auto' : 'default', keepRunDir: true, onEvent: progress, ...(o.corpus ? { corpusDir: o.corpus } : {}) }).catch(fail);
    process.stderr.write(
      `\nready. API: ${team.orchestratorUrl}  (try: stats-agent search "renewable energy" --url ${team.orchestratorUrl} --api-key-file ${team.apiKeyFile})\n` +
        `development API key (24 h, all scopes): ${team.apiKeyFile}  (or: export STATS_AGENT_API_KEY="$(cat ${team.apiKeyFile})")\n` +
        `logs: ${team.logDir}\nWorkload API sockets: ${team.socketDir}\nCtrl-C stops everything.\n`,
    );
    await untilSignal();
    process.stderr.write('\nstopping…\n');
    await stopTeam(team);
    process.exit(0);
  });

program
  .command('demo')
  .description('start the team on free ports, run one search on the sample corpus, print it, stop the team')
  .argument('[topic]', 'topic to search', 'renewable energy')
  .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
  .option('--min-stats <n>', 'verified statistics wanted', positiveInt, 5)
  .action(async (topic: string, o: { output: string; minStats: number }) => {
    process.stderr.write('starting the team locally (offline: sample corpus, rule-based extraction, development SPIFFE server)…\n');
    const team = await launchTeam({ ports: 'auto', onEvent: progress }).catch(fail);
    let code = 1;
    const interrupted = untilSignal().then(() => 130);
    try {
      code = await Promise.race([
        runSearch(team.orchestratorUrl, { topic, min_verified_stats: o.minStats, max_candidates: 12 }, o.output, 120_000, false, authHeaders(team.apiKey)),
        interrupted,
      ]);
    } catch (err) {
      process.stderr.write(`stats-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    } finally {
      await stopTeam(team);
    }
    process.exit(code);
  });

registerAuditCommand(program);
registerAdminCommands(program);

program.parseAsync().catch(fail);
