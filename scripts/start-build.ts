import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { copyAssets } from './build.js';
import { prepareWebApp } from './web-build.js';

/**
 * What `npm start` runs first (prestart): the web app when it is missing or stale, and the server's
 * JavaScript in `.run/`, which `npm start` then runs with plain `node` (no transpiler loaded in the
 * serving process: tsx's costs ~80 MB of its peak memory).
 *
 * esbuild transpiles each file of src/ on its own: no bundling and no type checking (`npm test`
 * runs `tsc --noEmit`; tsconfig's isolatedModules and verbatimModuleSyntax make a file-by-file
 * transpile exact). `.run/` sits where src/ does, like `dist/`, so the relative paths the server
 * finds drizzle/ and web/dist by hold. The production build stays `npm run build` (tsc → dist/).
 *
 * A full transpile takes about half a second, so it runs only when an input changed: a key of every
 * input's path, size and mtime, esbuild's version and the options is kept in `.run/`, written last,
 * so an interrupted build is redone.
 */
const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');
export const RUN_DIR = path.join(root, '.run');
const KEY_FILE = path.join(RUN_DIR, '.inputs');

// Linked maps, for a debugger or `NODE_OPTIONS=--enable-source-maps npm start` (stack traces at
// src/). Not on by default: Node then parses the maps of every module it loads, ~10 MB more of a
// peak that must stay under 300 MB. Without sourcesContent: the sources are in the checkout.
const OPTIONS = {
  outdir: RUN_DIR,
  outbase: src,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
} as const;

/** The files of src/ the server is made of (paths relative to src/), as tsconfig.build.json has them. */
function inputs(): string[] {
  return readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !/\.(test|suite)\.ts$/.test(entry.name))
    .map((entry) => path.relative(src, path.join(entry.parentPath, entry.name)))
    .sort();
}

function inputsKey(files: string[]): string {
  const hash = createHash('sha256');
  const esbuild = path.join(root, 'node_modules/esbuild/package.json');
  hash.update(readFileSync(esbuild)).update(JSON.stringify(OPTIONS));
  for (const file of files) {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file of src/
    const stat = statSync(path.join(src, file));
    hash.update(`${file}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** Transpiles src/ into .run/ unless nothing changed since the last time. */
export async function ensureStartBuild(): Promise<'built' | 'fresh'> {
  const files = inputs();
  const key = inputsKey(files);
  if (existsSync(KEY_FILE) && readFileSync(KEY_FILE, 'utf8') === key) return 'fresh';
  // Loaded only when there is work: an unchanged tree starts without it.
  const { build } = await import('esbuild');
  // A clean folder: a deleted or renamed source leaves no module behind.
  rmSync(RUN_DIR, { recursive: true, force: true });
  await build({
    ...OPTIONS,
    entryPoints: files.filter((file) => file.endsWith('.ts')).map((file) => path.join(src, file)),
  });
  copyAssets(src, RUN_DIR);
  writeFileSync(KEY_FILE, key);
  return 'built';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await prepareWebApp();
  try {
    await ensureStartBuild();
  } catch (error) {
    process.stderr.write(`Could not transpile the server into .run/: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
