import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestCa } from './ca.js';

/** Lifetime of a development CA created in a --ca-dir. */
export const CA_DIR_VALIDITY_SECONDS = 30 * 86_400;

/** Writes `data` readable by the owner only, also when the file already existed. */
export async function writePrivateFile(path: string, data: string): Promise<void> {
  await writeFile(path, data, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** Creates `dir` mode 0700 when it does not exist (an existing folder keeps its mode). */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * The development CA kept in `dir` as `ca.pem` + `ca.key` (mode 0600): loaded when both exist,
 * created there (for `trustDomain`) when neither does. Throws when only one exists, when the
 * stored CA is for another trust domain than `trustDomain`, or when it has expired.
 */
export async function loadOrCreateCaDir(dir: string, trustDomain: string | undefined): Promise<{ ca: TestCa; created: boolean }> {
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca.key');
  const [certificatePem, privateKeyPem] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (certificatePem !== undefined && privateKeyPem !== undefined) {
    const ca = await TestCa.fromPem({ certificatePem, privateKeyPem });
    if (trustDomain !== undefined && ca.trustDomain.name !== trustDomain) {
      throw new Error(`the CA in ${dir} is for trust domain ${ca.trustDomain.name}, not ${trustDomain}`);
    }
    if (new Date(ca.certificate.validTo) < new Date()) {
      throw new Error(`the CA in ${dir} expired at ${ca.certificate.validTo}: delete ca.pem and ca.key to create a new one`);
    }
    return { ca, created: false };
  }
  if (certificatePem !== undefined || privateKeyPem !== undefined) {
    throw new Error(`${dir} holds only one of ca.pem and ca.key`);
  }
  const ca = await TestCa.create({ trustDomain: trustDomain ?? 'stats-agent.local', validForSeconds: CA_DIR_VALIDITY_SECONDS });
  await makePrivateDir(dir);
  await writePrivateFile(keyPath, await ca.privateKeyPem());
  await writeFile(certPath, ca.certificatePem(), { mode: 0o644 });
  return { ca, created: true };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
