import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { AddressCategory } from './errors.js';

/** An IP address as judged: what it is, and the exact string to dial if it may be dialled. */
export interface ClassifiedAddress {
  category: AddressCategory;
  /** The parsed address; an IPv4-mapped IPv6 address is given as its IPv4 address. */
  ip: ipaddr.IPv4 | ipaddr.IPv6;
  /** The address in the form handed to `net.connect` (dotted IPv4, compressed IPv6). */
  dial: string;
}

/**
 * Cloud instance-metadata and host-agent addresses. Most are link-local or private anyway; they
 * are named so that no allow-list entry (a CIDR, say) can ever open them.
 */
const METADATA: ReadonlySet<string> = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack instance metadata
  '169.254.170.2', // AWS ECS task metadata and credentials
  '169.254.170.23', // AWS EKS Pod Identity agent
  '169.254.169.253', // AWS VPC DNS resolver
  '168.63.129.16', // Azure host agent (WireServer); ipaddr.js calls it unicast
  '100.100.100.200', // Alibaba Cloud metadata
  'fd00:ec2::254', // AWS instance metadata over IPv6
  'fd00:ec2::23', // AWS EKS Pod Identity agent over IPv6
  'fd00:ec2::253', // AWS VPC DNS resolver over IPv6
]);

/** Categories no allow-list entry can open: they never name a web server worth reaching. */
export const ALWAYS_REFUSED: ReadonlySet<AddressCategory> = new Set(['metadata', 'unspecified', 'multicast', 'broadcast', 'invalid']);

const IPV4_CATEGORY: Record<string, AddressCategory> = {
  unicast: 'public',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link_local',
  loopback: 'loopback',
  carrierGradeNat: 'shared',
  private: 'private',
};

const IPV6_CATEGORY: Record<string, AddressCategory> = {
  unspecified: 'unspecified',
  linkLocal: 'link_local',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'unique_local',
  deprecatedSiteLocal: 'site_local',
  benchmarking: 'benchmarking',
  // Forms that carry an IPv4 address, or translate to one, other than the two judged by their
  // IPv4 address below: SIIT (::ffff:0:a.b.c.d), 6to4 (2002::/16), Teredo (2001::/32, the address
  // is obfuscated). They are refused outright whatever they embed.
  rfc6145: 'ipv4_embedded',
  '6to4': 'ipv4_embedded',
  teredo: 'ipv4_embedded',
};

const v4 = (s: string) => ipaddr.IPv4.parse(s);
const v6 = (s: string) => ipaddr.IPv6.parse(s);
const DOCUMENTATION_V4 = [v4('192.0.2.0'), v4('198.51.100.0'), v4('203.0.113.0')] as const;
const BENCHMARKING_V4 = v4('198.18.0.0');
const GLOBAL_UNICAST_V6 = v6('2000::');
const NAT64_WELL_KNOWN = v6('64:ff9b::');
const DOCUMENTATION_V6: ReadonlyArray<[ipaddr.IPv6, number]> = [
  [v6('2001:db8::'), 32],
  [v6('3fff::'), 20],
];

function classifyV4(ip: ipaddr.IPv4): AddressCategory {
  if (METADATA.has(ip.toString())) return 'metadata';
  const range = ip.range();
  const known = IPV4_CATEGORY[range];
  if (known !== undefined) return known;
  if (DOCUMENTATION_V4.some((net) => ip.match(net, 24))) return 'documentation';
  if (ip.match(BENCHMARKING_V4, 15)) return 'benchmarking';
  // 192.0.0.0/24, 192.88.99.0/24, 240.0.0.0/4, AS112, AMT and anything ipaddr.js adds later.
  return 'reserved';
}

function classifyV6(ip: ipaddr.IPv6): { category: AddressCategory; dial: string } {
  const dial = ip.toString();
  if (METADATA.has(dial)) return { category: 'metadata', dial };
  const range: string = ip.range();
  if (range === 'rfc6052') {
    // NAT64: with DNS64 every IPv4-only site resolves to 64:ff9b::a.b.c.d, so the well-known
    // prefix is judged by the IPv4 address it translates to. The local-use 64:ff9b:1::/48 is not.
    if (!ip.match(NAT64_WELL_KNOWN, 96)) return { category: 'ipv4_embedded', dial };
    const [a = 0, b = 0] = ip.parts.slice(6);
    return { category: classifyV4(new ipaddr.IPv4([a >> 8, a & 0xff, b >> 8, b & 0xff])), dial };
  }
  const known = IPV6_CATEGORY[range];
  if (known !== undefined) return { category: known, dial };
  if (DOCUMENTATION_V6.some(([net, bits]) => ip.match(net, bits))) return { category: 'documentation', dial };
  if (range !== 'unicast') return { category: 'reserved', dial };
  // Only 2000::/3 is allocated for global unicast. The rest of what ipaddr.js calls unicast
  // includes ::a.b.c.d (IPv4-compatible, deprecated; Linux routes ::7f00:1 nowhere good).
  if (!ip.match(GLOBAL_UNICAST_V6, 3)) {
    const isCompat = ip.parts.slice(0, 6).every((p) => p === 0);
    return { category: isCompat ? 'ipv4_embedded' : 'reserved', dial };
  }
  return { category: 'public', dial };
}

/**
 * Judges one IP address (no brackets). Allowlist-of-public: only what ipaddr.js calls `unicast`
 * (and, for IPv6, inside 2000::/3) is `public`; everything else gets the category that says why
 * not. IPv4-mapped IPv6 (::ffff:a.b.c.d) and well-known NAT64 (64:ff9b::a.b.c.d) are judged by
 * their IPv4 address; other IPv4-embedding forms are `ipv4_embedded`. A string that is not a
 * plain IP address (octal or hex IPv4 forms, a zone id) is `invalid`. Never throws.
 */
export function classifyAddress(address: string): ClassifiedAddress {
  if (address.includes('%') || isIP(address) === 0) {
    return { category: 'invalid', ip: new ipaddr.IPv4([0, 0, 0, 0]), dial: address };
  }
  // ipaddr.js reads a dotted tail as IPv4-MAPPED whatever precedes it ("::127.0.0.1", an
  // IPv4-compatible address, comes back as ::ffff:7f00:1). WHATWG's serializer writes IPv6 in
  // pure hex, so parse that form.
  const parsed = isIP(address) === 6 ? ipaddr.IPv6.parse(new URL(`http://[${address}]/`).hostname.slice(1, -1)) : ipaddr.IPv4.parse(address);
  if (parsed.kind() === 'ipv4') {
    const ip = parsed as ipaddr.IPv4;
    return { category: classifyV4(ip), ip, dial: ip.toString() };
  }
  const ip6 = parsed as ipaddr.IPv6;
  if (ip6.isIPv4MappedAddress()) {
    const ip = ip6.toIPv4Address();
    return { category: classifyV4(ip), ip, dial: ip.toString() };
  }
  const { category, dial } = classifyV6(ip6);
  return { category, ip: ip6, dial };
}
