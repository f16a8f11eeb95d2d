import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `engines` tells the truth: every Node version it admits satisfies the engines of every package
 * in the lockfile (so `npm ci` warns about none), and it admits the LTS lines the product supports.
 */
// npm's own range logic (semver is in the tree through npm's tooling; it ships no types).
const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  subset(range: string, of: string): boolean;
};
const root = path.resolve(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};
const ours = manifest.engines.node;

describe('engines', () => {
  it('admits Node 20, 22 and 24 LTS and the Node running the tests', () => {
    for (const version of ['20.19.0', '22.13.0', '24.0.0', process.versions.node])
      expect(semver.satisfies(version, ours), version).toBe(true);
    expect(lock.packages['']?.engines).toEqual(manifest.engines);
  });

  it('is within the engines of every package in the lockfile', () => {
    const excluded = Object.entries(lock.packages)
      .filter(([name, entry]) => name !== '' && !Array.isArray(entry.engines) && entry.engines?.node)
      .filter(([, entry]) => !semver.subset(ours, (entry.engines as { node: string }).node))
      .map(([name, entry]) => `${name}@${entry.version}: ${(entry.engines as { node: string }).node}`);
    expect(excluded).toEqual([]);
  });

  it('the check itself fails on a package that wants a newer Node', () => {
    expect(semver.subset(ours, '>=22')).toBe(false);
  });
});
