import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/platform/http/web-app.js';

/** The built web app (test/global-setup.ts builds it when missing or stale). */
// eslint-disable-next-line security/detect-non-literal-fs-filename -- the repo's own build output
const html = readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8');
const tags = [...html.matchAll(/<(script|link)\b[^>]*>/g)].map((m) => m[0]);
// eslint-disable-next-line security/detect-non-literal-regexp -- attribute names are literals of this file
const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];
// eslint-disable-next-line security/detect-non-literal-fs-filename -- a file the built index.html names
const file = (url: string) => readFileSync(path.join(WEB_DIST, url));

const scripts = tags
  .filter((t) => t.startsWith('<script') || attr(t, 'rel') === 'modulepreload')
  .map((t) => attr(t, 'src') ?? attr(t, 'href'))
  .filter((u): u is string => Boolean(u));
const subresources = tags.filter(
  (t) => t.startsWith('<script') || ['modulepreload', 'stylesheet'].includes(attr(t, 'rel') ?? ''),
);

describe('the built web app', () => {
  it('ships at most 150 KB of JavaScript, gzipped, on the first page load', () => {
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce((sum, url) => sum + gzipSync(file(url), { level: 9 }).length, 0);
    console.info(`first load: ${scripts.length} scripts, ${(gzipped / 1024).toFixed(1)} KB gzipped`);
    expect(gzipped).toBeLessThanOrEqual(150 * 1024);
  });

  it('names every script and stylesheet with an SRI hash of its exact bytes', () => {
    expect(subresources.length).toBeGreaterThanOrEqual(2);
    for (const tag of subresources) {
      const url = attr(tag, 'src') ?? attr(tag, 'href');
      const integrity = attr(tag, 'integrity');
      expect(integrity, tag).toMatch(/^sha384-/);
      expect(integrity).toBe(`sha384-${createHash('sha384').update(file(url!)).digest('base64')}`);
    }
  });

  it('has no inline script or style for the CSP to refuse', () => {
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style\b/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });
});
