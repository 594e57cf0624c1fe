/**
 * `stats-agent audit verify <file...>`: checks audit log files (each a segment) for edited,
 * deleted, inserted, reordered, duplicated and truncated records and says where.
 * Exit codes: 0 every file intact, 4 tampering found, 1 a usage error or an unreadable input.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { AuditError, headPathFor, isLaterSegmentName, listSegments, readHead, readHeadFile, segmentLinkProblems, verifyAudit, type AuditHead, type VerifyResult } from '@stats-agent/audit';

export const EXIT_INTACT = 0;
export const EXIT_USAGE = 1;
export const EXIT_TAMPERED = 4;

interface VerifyCommandOptions {
  /** A path, `false` with --no-head, undefined for the default `<file>.head`. */
  head?: string | false;
  hmacKeyFile?: string;
  unkeyed: boolean;
  json: boolean;
  segments: boolean;
}

interface FileReport extends VerifyResult {
  file: string;
  head_file: string | null;
}

class UsageError extends Error {}

async function readKey(o: VerifyCommandOptions): Promise<string | undefined> {
  if (o.unkeyed) return undefined;
  if (o.hmacKeyFile !== undefined) {
    const info = await stat(o.hmacKeyFile).catch(() => undefined);
    if (!info?.isFile() || info.size > 4096) throw new UsageError(`${o.hmacKeyFile}: not a key file`);
    const key = (await readFile(o.hmacKeyFile, 'utf8')).replace(/\r?\n$/, '');
    if (key.length === 0) throw new UsageError(`${o.hmacKeyFile}: empty`);
    return key;
  }
  const env = process.env['AUDIT_HMAC_KEY'];
  return env !== undefined && env !== '' ? env : undefined;
}

async function headFor(file: string, o: VerifyCommandOptions): Promise<{ head: AuditHead | null; path: string | null }> {
  if (o.head === false) return { head: null, path: null };
  if (typeof o.head === 'string') return { head: await readHeadFile(o.head), path: o.head };
  const path = headPathFor(file);
  const head = await readHead(path);
  return { head, path: head ? path : null };
}

function seqRange(r: VerifyResult): string {
  return r.first_seq === null ? 'no records' : `${r.records} record${r.records === 1 ? '' : 's'}, seq ${r.first_seq}–${r.last_seq ?? r.first_seq}`;
}

/** The human report for one file. */
export function formatReport(r: FileReport): string {
  const out: string[] = [];
  if (r.ok) {
    const head = r.head ? `; head seq ${r.head.seq} ${r.head.status === 'matches' ? 'matches' : `is behind (${r.after_head} record${r.after_head === 1 ? '' : 's'} after it)`}` : '';
    out.push(`${r.file}: intact — ${seqRange(r)}${r.keyed ? ', keyed (HMAC)' : ''}${head}`);
  } else {
    const n = r.problems.length + r.problems_omitted;
    out.push(`${r.file}: TAMPERED — ${n} problem${n === 1 ? '' : 's'} (${seqRange(r)})`);
    for (const p of r.problems) {
      const where = `${p.line === null ? 'no line' : `line ${p.line}`}${p.seq === null ? '' : ` (seq ${p.seq})`}`;
      out.push(`  ${where.padEnd(22)} ${p.kind.padEnd(9)}  ${p.message}`);
    }
    if (r.problems_omitted > 0) out.push(`  … and ${r.problems_omitted} more`);
  }
  if (r.head_file === null) out.push('  note: no head checkpoint — records deleted from the end cannot be detected');
  else if (r.ok && r.after_head > 0) out.push('  note: records after the head were written after its last update or appended by someone else; a keyed chain or the store copy tells which');
  if (!r.keyed && r.records > 0) out.push('  note: plain SHA-256 chain — someone able to rewrite the whole file and its head could recompute it; anchor it (keyed chain, store copy, shipped logs)');
  return `${out.join('\n')}\n`;
}

async function runVerify(given: string[], o: VerifyCommandOptions): Promise<number> {
  let files = given;
  if (o.segments) {
    if (given.length !== 1) throw new UsageError('--segments takes the one AUDIT_LOG_FILE whose segments to verify');
    files = (await listSegments(given[0] as string)).map((s) => s.path);
    if (files.length === 0) throw new UsageError(`${given[0]}: no such file and no segments beside it`);
  }
  if (typeof o.head === 'string' && files.length > 1) throw new UsageError('--head applies to one file; verify segments one at a time or let each use its own <file>.head');
  const key = await readKey(o);
  const reports: FileReport[] = [];
  for (const file of files) {
    const { head, path } = await headFor(file, o);
    // The first segment must start at seq 1; with --segments the first file is it, otherwise the name tells.
    const firstSegment = o.segments ? reports.length === 0 : !isLaterSegmentName(file);
    const result = await verifyAudit({ file }, { head, hmacKey: key, firstSegment });
    const report: FileReport = { file, head_file: path, ...result };
    // Files are segments in order: each must pick up where the one before ended.
    const before = reports[reports.length - 1];
    if (before) {
      const links = segmentLinkProblems(before, report, before.file);
      if (links.length > 0) report.problems = [...links, ...report.problems];
      report.ok = report.ok && links.length === 0;
    }
    reports.push(report);
  }
  const ok = reports.every((r) => r.ok);
  if (o.json) process.stdout.write(`${JSON.stringify({ ok, files: reports }, null, 2)}\n`);
  else process.stdout.write(reports.map(formatReport).join(''));
  return ok ? EXIT_INTACT : EXIT_TAMPERED;
}

/** Adds `audit verify` to the program. */
export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit trail');
  audit
    .command('verify')
    .description('check audit log files for edited, deleted, inserted, reordered, duplicated or truncated records (exit 0 intact, 4 tampered, 1 error)')
    .argument('<files...>', 'audit log file(s), in segment order: AUDIT_LOG_FILE, then audit.2.jsonl, …')
    .option('--segments', 'verify the file and all its segments (audit.2.jsonl, …) in order, each against the one before', false)
    .option('--head <file>', 'head checkpoint to hold the file to (default: <file>.head when it exists)')
    .option('--no-head', 'ignore head checkpoints')
    .option('--hmac-key-file <file>', 'file holding the chain key (else env AUDIT_HMAC_KEY)')
    .option('--unkeyed', 'verify as a plain SHA-256 chain even when AUDIT_HMAC_KEY is set', false)
    .option('--json', 'print the results as JSON', false)
    .action(async (files: string[], o: VerifyCommandOptions) => {
      try {
        process.exitCode = await runVerify(files, o);
      } catch (err) {
        const message = err instanceof UsageError ? err.message : err instanceof AuditError ? err.message.replace(/^audit: /, '') : err instanceof Error ? err.message : String(err);
        process.stderr.write(`stats-agent audit: ${message}\n`);
        process.exitCode = EXIT_USAGE;
      }
    });
}
