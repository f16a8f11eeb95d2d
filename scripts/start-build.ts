import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildOptions, Plugin } from 'esbuild';
import { copyAssets } from './build.js';
import {
  BUNDLE_KEY_FILE,
  ROOT,
  RUN_DIR,
  nodeArgsOfScript,
  serverBundleIsFresh,
  serverBundleKey,
} from './start-inputs.mjs';
import { prepareWebApp } from './web-build.js';

/**
 * `npm start`'s build, run by its prestart (scripts/prestart.mjs) when the web app or the server's
 * bundle is stale: the web app, and the server's JavaScript in `.run/`, which `npm start` then runs
 * with plain `node` (no transpiler loaded in the serving process: tsx's costs ~80 MB of its peak
 * memory).
 *
 * esbuild bundles the server into one file, `.run/main.cjs` (loading ~2,000 separate modules was
 * half of a start, ~0.9 s of 2 s). CommonJS, because V8 keeps a code cache only of a script:
 * scripts/serve-bundle.cjs runs the bundle with one (see there). The embedded template's builder,
 * which the server runs as a child process, and the embedded database's thread
 * (src/platform/db/pglite-thread.ts) are bundled on their own as ES modules. No type
 * checking (`npm test` runs `tsc --noEmit`). The production build stays `npm run build` (tsc →
 * dist/, file by file).
 *
 * A source that finds a file next to itself (`import.meta.url`, `import.meta.dirname`) is given the
 * place it would have in `.run/` as a file-by-file build (`.run/` sits where src/ does, like
 * `dist/`), so the relative paths to drizzle/, web/dist and the copied assets hold. Packages that
 * read files beside their own code or load native code stay outside the bundle (`EXTERNAL`), or
 * are told where their files are (`BUNDLED_WITH_OWN_FILES`).
 *
 * A build takes a few seconds, so it runs only when an input changed (scripts/start-inputs.mjs):
 * the key of the inputs is written last, so an interrupted build is redone.
 */
const src = path.join(ROOT, 'src');

/** Read files from their own folder (PGlite's wasm), native or worker code. */
const EXTERNAL = ['@electric-sql/pglite', '@node-rs/argon2', 'pino', 'thread-stream'];

/**
 * Bundled although they read files beside their own code (swagger-ui's assets). Left outside, the
 * package loaded its own @fastify/static and yaml from node_modules beside the bundle's copies, with
 * no code cache, on the way to /healthz.
 */
const BUNDLED_WITH_OWN_FILES = ['@fastify/swagger-ui'];

/** Bundled CommonJS packages call `require` and read `__dirname`, which an ES module lacks. */
const COMMONJS_GLOBALS = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  'const require = __createRequire(import.meta.url);',
  'const __filename = __fileURLToPath(import.meta.url);',
  "const __dirname = __fileURLToPath(new URL('.', import.meta.url));",
].join(' ');

// No source maps: a map of the 6 MB bundle costs a quarter of a second on every build. Stack
// traces name .run/main.cjs; `npx tsx src/main.ts` runs the sources themselves.
const COMMON = {
  outdir: RUN_DIR,
  outbase: src,
  bundle: true,
  external: EXTERNAL,
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  // Licence comments go to .run/*.LEGAL.txt: one non-ASCII character anywhere in the bundle makes
  // V8 hold all of its source as two bytes a character.
  legalComments: 'external',
  logLevel: 'warning',
} as const satisfies BuildOptions;

const SERVER = {
  ...COMMON,
  entryPoints: [path.join(src, 'main.ts')],
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
} as const satisfies BuildOptions;

const TEMPLATE_BUILDER_AND_DATABASE_THREAD = {
  ...COMMON,
  entryPoints: [path.join(src, 'embedded-template-cli.ts'), path.join(src, 'platform/db/pglite-thread.ts')],
  format: 'esm',
  banner: { js: COMMONJS_GLOBALS },
} as const satisfies BuildOptions;

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

/**
 * A file of `BUNDLED_WITH_OWN_FILES` finds its neighbours through `__dirname`, which in the bundle
 * is .run/'s: it is given its own back, as the way from .run/ to its folder in node_modules.
 */
const dirnameOfPackageFile: Plugin = {
  name: 'dirname-of-package-file',
  setup(build) {
    // Of a package name's characters only `.` means something in a pattern.
    const packages = BUNDLED_WITH_OWN_FILES.map((name) => name.replaceAll('.', '\\.')).join('|');
    // eslint-disable-next-line security/detect-non-literal-regexp -- made of the constant list above
    build.onLoad({ filter: new RegExp(`/node_modules/(${packages})/.*\\.js$`) }, async (args) => {
      const fromRun = JSON.stringify(path.relative(RUN_DIR, path.dirname(args.path)));
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file of node_modules/
      const text = await readFile(args.path, 'utf8');
      return {
        contents: text.replaceAll('__dirname', `require('node:path').join(__dirname, ${fromRun})`),
        loader: 'js',
      };
    });
  },
};

/**
 * The bundle's top level compiled, for the first start (scripts/serve-bundle.cjs). Made by `npm
 * start`'s own command: V8 refuses a cache made under other flags. A failure only costs that start
 * the compile, so it is reported and the build goes on.
 */
function makeTopLevelCache(): void {
  const made = spawnSync(process.execPath, [...nodeArgsOfScript('start'), '--top-level-cache'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (made.status !== 0)
    process.stderr.write(`No code cache for the first start (exit ${made.status ?? made.signal}).\n`);
}

/** Bundles the server into .run/ unless nothing changed since the last time. */
export async function ensureStartBuild(): Promise<'built' | 'fresh'> {
  if (serverBundleIsFresh()) return 'fresh';
  const key = serverBundleKey();
  // Loaded only when there is work: an unchanged tree starts without it.
  const { build } = await import('esbuild');
  // A clean folder: a deleted or renamed source leaves nothing behind.
  rmSync(RUN_DIR, { recursive: true, force: true });
  await Promise.all(
    [SERVER, TEMPLATE_BUILDER_AND_DATABASE_THREAD].map((options) =>
      build({ ...options, plugins: [importMetaOfSource, dirnameOfPackageFile] }),
    ),
  );
  copyAssets(src, RUN_DIR);
  makeTopLevelCache();
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- .run/'s key file
  writeFileSync(BUNDLE_KEY_FILE, key);
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
