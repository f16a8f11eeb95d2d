import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { copyAssets } from './build.js';
import { prepareWebApp } from './web-build.js';

/**
 * What `npm start` runs first (prestart): the web app when it is missing or stale, and the server's
 * JavaScript in `.run/`, which `npm start` then runs with plain `node` (no transpiler loaded in the
 * serving process: tsx's costs ~80 MB of its peak memory).
 *
 * esbuild bundles the server (and the embedded template's builder, which the server runs as a
 * child process) into one file each: loading ~2,000 separate modules was half of a start (~0.9 s
 * of 2 s). No type checking (`npm test` runs `tsc --noEmit`). The production build stays
 * `npm run build` (tsc → dist/, file by file).
 *
 * A source that finds a file next to itself (`import.meta.url`, `import.meta.dirname`) is given the
 * place it would have in `.run/` as a file-by-file build (`.run/` sits where src/ does, like
 * `dist/`), so the relative paths to drizzle/, web/dist and the copied assets hold. Packages that
 * read files beside their own code or load native code stay outside the bundle (`EXTERNAL`).
 *
 * A build takes about a second, so it runs only when an input changed: a key of every source's
 * path, size and mtime, the installed packages, the checkout's place, esbuild's version and the
 * options is kept in `.run/`, written last, so an interrupted build is redone.
 */
const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');
export const RUN_DIR = path.join(root, '.run');
const KEY_FILE = path.join(RUN_DIR, '.inputs');

/** Read files from their own folder (PGlite's wasm, swagger-ui's assets), native or worker code. */
const EXTERNAL = ['@electric-sql/pglite', '@node-rs/argon2', 'pino', 'thread-stream', '@fastify/swagger-ui'];

/** Bundled CommonJS packages call `require` and read `__dirname`, which an ES module lacks. */
const COMMONJS_GLOBALS = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  'const require = __createRequire(import.meta.url);',
  'const __filename = __fileURLToPath(import.meta.url);',
  "const __dirname = __fileURLToPath(new URL('.', import.meta.url));",
].join(' ');

// No source maps: a map of the 8 MB bundle costs a quarter of a second on every build. Stack
// traces name .run/main.js; `npx tsx src/main.ts` runs the sources themselves.
const OPTIONS = {
  entryPoints: ['main.ts', 'embedded-template-cli.ts'].map((file) => path.join(src, file)),
  outdir: RUN_DIR,
  outbase: src,
  bundle: true,
  external: EXTERNAL,
  banner: { js: COMMONJS_GLOBALS },
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  logLevel: 'warning',
} as const;

/** Where a source file would be in `.run/` if it were transpiled on its own. */
function placeInRun(source: string): string {
  return path.join(RUN_DIR, path.relative(src, source)).replace(/\.ts$/, '.js');
}

const importMetaOfSource: Plugin = {
  name: 'import-meta-of-source',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (path.relative(src, args.path).startsWith('..')) return undefined;
      const place = placeInRun(args.path);
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file of src/
      const text = (await readFile(args.path, 'utf8'))
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(place).href))
        .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(place)));
      return { contents: text, loader: 'ts' };
    });
  },
};

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
  // The bundle holds the checkout's absolute paths (see importMetaOfSource): a moved one rebuilds.
  hash.update(root);
  // The bundle holds the packages: an install or update of any of them makes a new one.
  const installed = path.join(root, 'node_modules/.package-lock.json');
  if (existsSync(installed)) hash.update(readFileSync(installed));
  for (const file of files) {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file of src/
    const stat = statSync(path.join(src, file));
    hash.update(`${file}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** Bundles the server into .run/ unless nothing changed since the last time. */
export async function ensureStartBuild(): Promise<'built' | 'fresh'> {
  const files = inputs();
  const key = inputsKey(files);
  if (existsSync(KEY_FILE) && readFileSync(KEY_FILE, 'utf8') === key) return 'fresh';
  // Loaded only when there is work: an unchanged tree starts without it.
  const { build } = await import('esbuild');
  // A clean folder: a deleted or renamed source leaves nothing behind.
  rmSync(RUN_DIR, { recursive: true, force: true });
  await build({ ...OPTIONS, plugins: [importMetaOfSource] });
  copyAssets(src, RUN_DIR);
  writeFileSync(KEY_FILE, key);
  return 'built';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await prepareWebApp();
  try {
    await ensureStartBuild();
  } catch (error) {
    process.stderr.write(`Could not bundle the server into .run/: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
