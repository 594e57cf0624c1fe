import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ALWAYS_REFUSED, classifyAddress } from './address.js';

/**
 * One parsed `STATS_FETCH_ALLOW` entry. A `name` entry matches the URL's host name; an `ip` or
 * `cidr` entry matches the address the host resolved to (or the IP literal). Without a port the
 * entry opens only the allowed ports (80 and 443 by default); with one, only that port.
 */
export type AllowEntry =
  | { kind: 'name'; name: string; port?: number }
  | { kind: 'ip'; ip: ipaddr.IPv4 | ipaddr.IPv6; port?: number }
  | { kind: 'cidr'; net: ipaddr.IPv4 | ipaddr.IPv6; bits: number };

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);

function bad(entry: string, why: string): TypeError {
  return new TypeError(`safe-fetch: allow-list (STATS_FETCH_ALLOW) entry "${entry}" ${why}`);
}

function parsePort(entry: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65_535) throw bad(entry, 'has a port that is not 1-65535');
  return Number(text);
}

/** Lower case, without the trailing dot: the form host names are compared in. */
export function normalizeHostName(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function parseIpEntry(entry: string, text: string, port: number | undefined): AllowEntry {
  const c = classifyAddress(text);
  if (c.category === 'invalid') throw bad(entry, 'is not a valid IP address (write IPv4 as four decimal numbers, IPv6 in brackets with a port)');
  if (ALWAYS_REFUSED.has(c.category)) throw bad(entry, `is a ${c.category} address, which can never be allowed`);
  return port === undefined ? { kind: 'ip', ip: c.ip } : { kind: 'ip', ip: c.ip, port };
}

/** Parses one entry; throws a TypeError that quotes it and says what is wrong. */
export function parseAllowEntry(raw: string): AllowEntry {
  const entry = raw.trim();
  if (entry === '') throw bad(raw, 'is empty');
  if (entry.includes('://')) throw bad(entry, 'is a URL: write host[:port]');
  if (entry.includes('/')) {
    const valid = entry.includes(':') ? ipaddr.IPv6.isValidCIDR(entry) && !entry.includes('%') : ipaddr.IPv4.isValidCIDRFourPartDecimal(entry);
    if (!valid) {
      throw bad(entry, 'is not a valid CIDR (address/prefix, IPv6 without brackets)');
    }
    const [net, bits] = ipaddr.parseCIDR(entry);
    if (bits === 0) throw bad(entry, 'would allow every address');
    const processed = net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() ? (net as ipaddr.IPv6).toIPv4Address() : net;
    const processedBits = processed === net ? bits : bits - 96;
    if (processedBits <= 0) throw bad(entry, 'would allow every IPv4 address');
    return { kind: 'cidr', net: processed, bits: processedBits };
  }
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(entry);
  if (bracketed !== null) {
    const [, ip = '', port] = bracketed;
    if (isIP(ip) !== 6) throw bad(entry, 'has brackets around something that is not an IPv6 address');
    return parseIpEntry(entry, ip, port === undefined ? undefined : parsePort(entry, port));
  }
  if (isIP(entry) === 6) return parseIpEntry(entry, entry, undefined);
  const colon = entry.lastIndexOf(':');
  if (colon !== entry.indexOf(':')) throw bad(entry, 'looks like an IPv6 address with a port: write [address]:port');
  const host = colon === -1 ? entry : entry.slice(0, colon);
  const port = colon === -1 ? undefined : parsePort(entry, entry.slice(colon + 1));
  // A host whose last label is a number is an IPv4 address to WHATWG URL (127.1, 0x7f.1, …).
  if (/(^|\.)(0x[0-9a-f]*|\d+)\.?$/i.test(host)) return parseIpEntry(entry, host, port);
  const name = normalizeHostName(host);
  if (!HOST_NAME.test(name)) throw bad(entry, 'is not host[:port] (a DNS name or IP address), [IPv6]:port or a CIDR');
  return port === undefined ? { kind: 'name', name } : { kind: 'name', name, port };
}

/**
 * Parses `STATS_FETCH_ALLOW`: a comma-separated string or a list of entries, each `host[:port]`,
 * `[ipv6][:port]` or a CIDR. Empty items are ignored, so "" means none. Throws a TypeError naming
 * the first bad entry: a name that is not a DNS name, a port outside 1-65535, a CIDR with prefix
 * 0, an IP that is not four decimal numbers, or an address no entry may open (metadata,
 * unspecified, multicast, broadcast).
 */
export function parseAllowList(value: string | readonly string[] | undefined): AllowEntry[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(',') : value;
  return items.filter((item) => item.trim() !== '').map(parseAllowEntry);
}

/** The entry in a canonical text form (what `resolvePolicy` stores in `allow`). */
export function formatAllowEntry(e: AllowEntry): string {
  if (e.kind === 'cidr') return `${e.net.toString()}/${e.bits}`;
  if (e.kind === 'name') return e.port === undefined ? e.name : `${e.name}:${e.port}`;
  const ip = e.ip.kind() === 'ipv6' ? `[${e.ip.toString()}]` : e.ip.toString();
  return e.port === undefined ? ip : `${ip}:${e.port}`;
}

/** Entries that match this host name or this address (any port). */
export function matchingEntries(entries: readonly AllowEntry[], host: string, ip: ipaddr.IPv4 | ipaddr.IPv6): AllowEntry[] {
  const name = normalizeHostName(host);
  return entries.filter((e) => {
    if (e.kind === 'name') return e.name === name;
    if (e.kind === 'ip') return e.ip.kind() === ip.kind() && e.ip.toNormalizedString() === ip.toNormalizedString();
    return e.net.kind() === ip.kind() && ip.match(e.net, e.bits);
  });
}
