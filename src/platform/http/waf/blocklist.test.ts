/* eslint-disable security/detect-non-literal-fs-filename -- paths come from mkdtemp in these tests */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IpBlocklist } from './blocklist.js';

describe('IpBlocklist', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('matches exact addresses and CIDR ranges, IPv4 and IPv6', () => {
    const list = IpBlocklist.fromEntries([
      '203.0.113.7',
      '198.51.100.0/24',
      '2001:db8::/32',
      '2001:4860::8888',
    ]);
    expect(list.contains('203.0.113.7')).toBe(true);
    expect(list.contains('203.0.113.8')).toBe(false);
    expect(list.contains('198.51.100.1')).toBe(true);
    expect(list.contains('198.51.100.255')).toBe(true);
    expect(list.contains('198.51.101.0')).toBe(false);
    expect(list.contains('2001:db8:1234::1')).toBe(true);
    expect(list.contains('2001:db9::1')).toBe(false);
    expect(list.contains('2001:4860:0:0:0:0:0:8888')).toBe(true);
  });

  it('matches IPv4-mapped IPv6 client addresses as IPv4', () => {
    const list = IpBlocklist.fromEntries(['10.0.0.0/8', '::ffff:192.0.2.0/120']);
    expect(list.contains('::ffff:10.1.2.3')).toBe(true);
    expect(list.contains('192.0.2.44')).toBe(true);
  });

  it('is false for junk input and when empty', () => {
    const list = IpBlocklist.fromEntries(['10.0.0.0/8']);
    expect(list.contains('not-an-ip')).toBe(false);
    expect(list.contains('')).toBe(false);
    expect(new IpBlocklist().contains('10.0.0.1')).toBe(false);
  });

  it('loads a file with comments and blank lines, reports invalid lines, and reloads after a change', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'waf-blocklist-'));
    const file = path.join(dir, 'blocklist.txt');
    await writeFile(
      file,
      '# abusers\n\n203.0.113.0/24   # scanner farm\n2001:db8::1\nnot an address\n10.0.0.0/33\n',
    );
    const list = new IpBlocklist(file);
    const first = await list.reload();
    expect(first.entries).toBe(2);
    expect(first.invalid).toEqual([
      { line: 5, text: 'not an address' },
      { line: 6, text: '10.0.0.0/33' },
    ]);
    expect(list.contains('203.0.113.50')).toBe(true);
    expect(list.contains('2001:db8::1')).toBe(true);
    expect(list.contains('192.0.2.1')).toBe(false);

    await writeFile(file, '192.0.2.0/24\n');
    await list.reload();
    expect(list.contains('192.0.2.1')).toBe(true);
    expect(list.contains('203.0.113.50')).toBe(false);
    expect(list.size).toBe(1);
  });

  it('keeps the previous list when the file cannot be read', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'waf-blocklist-'));
    const file = path.join(dir, 'blocklist.txt');
    await writeFile(file, '192.0.2.0/24\n');
    const list = new IpBlocklist(file);
    await list.reload();
    await rm(file);
    await expect(list.reload()).rejects.toThrow();
    expect(list.contains('192.0.2.9')).toBe(true);
  });
});
