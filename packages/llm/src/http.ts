import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';

export interface JsonResponse {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  /** The parsed body; undefined when it was empty or not JSON. */
  json: unknown;
  /** The first bytes of the body as text, for error messages of non-JSON bodies. */
  preview: string;
}

/** The body exceeded its cap. */
export class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
}

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readCapped(body: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > maxBytes) {
      body.on('error', () => {});
      body.destroy();
      throw new BodyTooLarge(`response body exceeds ${maxBytes} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * POSTs `body` as JSON and reads the whole response (any status) up to `maxBytes`, refusing
 * compressed bodies (`accept-encoding: identity`). Rejects with BodyTooLarge above the cap and
 * with undici's errors on network failure or abort. Does not retry.
 */
export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  opts: { dispatcher: Dispatcher; signal: AbortSignal; maxBytes: number },
): Promise<JsonResponse> {
  const res = await request(url, {
    method: 'POST',
    dispatcher: opts.dispatcher,
    signal: opts.signal,
    headers: { ...headers, 'content-type': 'application/json', accept: 'application/json', 'accept-encoding': 'identity' },
    body: JSON.stringify(body),
  });
  const length = Number(header(res.headers, 'content-length'));
  if (Number.isFinite(length) && length > opts.maxBytes) {
    res.body.on('error', () => {});
    res.body.destroy();
    throw new BodyTooLarge(`response Content-Length ${length} exceeds ${opts.maxBytes} bytes`);
  }
  const raw = (await readCapped(res.body, opts.maxBytes)).toString('utf8');
  let json: unknown;
  try {
    json = raw === '' ? undefined : JSON.parse(raw);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, json, preview: raw.slice(0, 200) };
}

/**
 * Milliseconds a `Retry-After` (seconds or an HTTP date) or `retry-after-ms` header asks for;
 * undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Dispatcher.ResponseData['headers'], now = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const v = header(headers, 'retry-after')?.trim();
  if (v === undefined || v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
