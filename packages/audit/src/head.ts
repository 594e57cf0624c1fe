/**
 * The head checkpoint: `<log>.head` holds the seq and hash of the last record written (and
 * synced). It is replaced atomically (write a temporary file, rename over) after every batch,
 * so a reader sees the old or the new head, never half of one. The head lets a verifier notice
 * records deleted from the END of the log, which a hash chain alone cannot: every prefix of a
 * valid chain is a valid chain.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { z } from 'zod';
import { AuditError } from './errors.js';
import { HASH_ALGS } from './record.js';

export const headSchema = z.strictObject({
  v: z.literal(1),
  alg: z.enum(HASH_ALGS),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  time: z.string(),
});
export type AuditHead = z.infer<typeof headSchema>;

const MAX_HEAD_BYTES = 4096;

/** The head file that belongs to a log file. */
export function headPathFor(logFile: string): string {
  return `${logFile}.head`;
}

/** Parses head file text. Throws `AuditError('AUDIT_ERR_INPUT')` when it is not a head. */
export function parseHead(text: string, where = 'head'): AuditHead {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new AuditError('AUDIT_ERR_INPUT', `audit: ${where}: not valid JSON`);
  }
  const parsed = headSchema.safeParse(data);
  if (!parsed.success) throw new AuditError('AUDIT_ERR_INPUT', `audit: ${where}: not a head checkpoint (${parsed.error.issues.map((i) => i.path.join('.') || 'head').join(', ')})`);
  return parsed.data;
}

/** Reads a head file; `null` when it does not exist. Throws `AuditError('AUDIT_ERR_INPUT')` when it is unreadable or malformed. */
export async function readHead(path: string): Promise<AuditHead | null> {
  let text: string;
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(MAX_HEAD_BYTES + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      if (bytesRead > MAX_HEAD_BYTES) throw new AuditError('AUDIT_ERR_INPUT', `audit: ${path}: larger than ${MAX_HEAD_BYTES} bytes, not a head checkpoint`);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (err instanceof AuditError) throw err;
    throw new AuditError('AUDIT_ERR_INPUT', `audit: ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  return parseHead(text, path);
}

/** Replaces the head file atomically; with `sync`, the new content is on disk before the rename. */
export async function writeHead(path: string, head: AuditHead, sync: boolean): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(head)}\n`);
      if (sync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Reads a whole small file as text (used by the CLI for a head given explicitly). */
export async function readHeadFile(path: string): Promise<AuditHead> {
  const head = await readHead(path);
  if (head === null) throw new AuditError('AUDIT_ERR_INPUT', `audit: ${path}: no such head file`);
  return head;
}

