import { open } from 'node:fs/promises';
import { MAX_SECRET_FILE_BYTES } from './config.js';
import { SecretsError } from './errors.js';

/**
 * Reads a mounted secret file (Kubernetes/Docker secret, projected service-account token):
 * at most 64 KiB, one trailing newline (`\n` or `\r\n`) removed — editors and `echo` add one,
 * and a key with a newline fails upstream in puzzling ways. Throws `SECRETS_ERR_FILE` naming the
 * variable and the path (never the content) when the file cannot be read, is not a regular
 * file, is empty or too large.
 */
export async function readSecretFile(path: string, variable: string): Promise<string> {
  let text: string;
  try {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new SecretsError('SECRETS_ERR_FILE', `secrets: ${variable}: ${path} is not a regular file`);
      if (st.size > MAX_SECRET_FILE_BYTES) throw new SecretsError('SECRETS_ERR_FILE', `secrets: ${variable}: ${path} is larger than ${MAX_SECRET_FILE_BYTES} bytes`);
      const buf = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      if (bytesRead > MAX_SECRET_FILE_BYTES) throw new SecretsError('SECRETS_ERR_FILE', `secrets: ${variable}: ${path} is larger than ${MAX_SECRET_FILE_BYTES} bytes`);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof SecretsError) throw err;
    const code = (err as { code?: unknown }).code;
    throw new SecretsError('SECRETS_ERR_FILE', `secrets: ${variable}: cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') throw new SecretsError('SECRETS_ERR_FILE', `secrets: ${variable}: ${path} is empty`);
  return value;
}
