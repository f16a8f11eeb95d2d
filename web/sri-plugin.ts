import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plugin } from 'vite';

/**
 * Adds `integrity="sha384-…"` to every script, stylesheet and modulepreload that the built
 * index.html references (SPEC §5). It runs after the files are written, so the hash is taken
 * over exactly the bytes the server will send.
 */
export function subresourceIntegrity(): Plugin {
  let outDir = '';
  return {
    name: 'namaskah-sri',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async writeBundle() {
      const indexPath = path.join(outDir, 'index.html');
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the build's own output folder
      let html = await readFile(indexPath, 'utf8');
      const tags = /<(script|link)\b[^>]*>/g;
      const replacements: [string, string][] = [];
      for (const match of html.matchAll(tags)) {
        const tag = match[0];
        if (tag.includes('integrity=')) continue;
        const isScript = match[1] === 'script';
        if (!isScript && !/rel="(stylesheet|modulepreload)"/.test(tag)) continue;
        const url = /(?:src|href)="(\/[^"]+)"/.exec(tag)?.[1];
        if (!url || url.startsWith('//')) continue;
        const file = path.join(outDir, decodeURIComponent(url.split('?')[0]!));
        if (!file.startsWith(outDir + path.sep)) continue;
        // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file of the build output
        const bytes = await readFile(file);
        const digest = createHash('sha384').update(bytes).digest('base64');
        const crossorigin = tag.includes('crossorigin') ? '' : ' crossorigin';
        replacements.push([tag, tag.replace(/\s*\/?>$/, ` integrity="sha384-${digest}"${crossorigin}>`)]);
      }
      for (const [from, to] of replacements) html = html.replace(from, to);
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the build's own output folder
      await writeFile(indexPath, html);
    },
  };
}
