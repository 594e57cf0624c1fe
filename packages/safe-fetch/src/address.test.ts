import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyAddress, parseAllowList, resolvePolicy } from './index.js';
import { formatAllowEntry } from './allow.js';

const T = { timeout: 5_000 };

test('classifyAddress: only public unicast is public', T, () => {
  const table: Array<[string, string, string?]> = [
    ['93.184.216.34', 'public'],
    ['1.1.1.1', 'public'],
    ['2606:4700::1111', 'public'],
    ['::ffff:93.184.216.34', 'public', '93.184.216.34'],
    ['64:ff9b::5db8:d822', 'public', '64:ff9b::5db8:d822'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
    ['::127.0.0.1', 'ipv4_embedded'],
    ['::8.8.8.8', 'ipv4_embedded'],
    ['::7f00:1', 'ipv4_embedded'],
    ['10.0.0.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['100.64.0.1', 'shared'],
    ['192.0.2.1', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['fec0::1', 'site_local'],
    ['fc00::1', 'unique_local'],
    ['2002:808:808::1', 'ipv4_embedded'],
    ['2001::1', 'ipv4_embedded'],
    ['64:ff9b:1::1', 'ipv4_embedded'],
    ['4000::1', 'reserved'],
    ['0177.0.0.1', 'invalid'],
    ['127.1', 'invalid'],
    ['fe80::1%eth0', 'invalid'],
    ['example.org', 'invalid'],
    ['', 'invalid'],
  ];
  for (const [address, category, dial] of table) {
    const c = classifyAddress(address);
    assert.equal(c.category, category, address);
    if (dial !== undefined) assert.equal(c.dial, dial, address);
  }
});

test('parseAllowList: entries, normalized', T, () => {
  const entries = parseAllowList(' 127.0.0.1:8010, Corpus.Local.:8080 ,,internal.example, [::1]:9000, ::1, 10.0.0.0/8, fd00::/8, ::ffff:10.0.0.0/104 ,');
  assert.deepEqual(entries.map(formatAllowEntry), [
    '127.0.0.1:8010',
    'corpus.local:8080',
    'internal.example',
    '[::1]:9000',
    '[::1]',
    '10.0.0.0/8',
    'fd00::/8',
    '10.0.0.0/8',
  ]);
  assert.deepEqual(parseAllowList(''), []);
  assert.deepEqual(parseAllowList(undefined), []);
  assert.deepEqual(resolvePolicy({ allow: ['LOCALHOST:8010'] }).allow, ['localhost:8010']);
});

test('parseAllowList: every bad entry is a TypeError that quotes it', T, () => {
  const bad: Array<[string, RegExp]> = [
    ['127.0.0.1:99999', /port that is not 1-65535/],
    ['host:0', /port that is not 1-65535/],
    ['host:http', /port that is not 1-65535/],
    ['0.0.0.0/0', /every address/],
    ['::/0', /every address/],
    ['10.0.0.0/33', /not a valid CIDR/],
    ['127.1/8', /not a valid CIDR/],
    ['127.1', /not a valid IP address/],
    ['0x7f.1:80', /not a valid IP address/],
    ['0.0.0.0', /unspecified address/],
    ['169.254.169.254', /metadata address/],
    ['[fd00:ec2::254]:80', /metadata address/],
    ['224.0.0.1', /multicast address/],
    ['fe80::1:2:3:4:5:6:80', /.+/],
    ['[::1', /not host\[:port\]|brackets|\[address\]:port/],
    ['[example.org]:80', /brackets/],
    ['http://example.org', /is a URL: write host\[:port\]/],
    ['exa mple.org', /not host\[:port\]/],
    ['-bad-.org', /not host\[:port\]/],
  ];
  for (const [entry, message] of bad) {
    assert.throws(
      () => parseAllowList(entry),
      (err) => err instanceof TypeError && err.message.includes('STATS_FETCH_ALLOW') && message.test(err.message),
      entry,
    );
  }
});
