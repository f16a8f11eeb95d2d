// @ts-check
/* eslint-disable security/detect-non-literal-fs-filename -- every path is a file of this checkout */
/**
 * What `npm start` builds before it serves, and how it tells that a build is still fresh: the web
 * app (web/ → web/dist) and the server's bundle (src/ → .run/). Plain JavaScript, because it runs
 * on every `npm start` (scripts/prestart.mjs): loading a TypeScript runner only to find both fresh
 * took 0.4–0.5 s of each start. The builders themselves (scripts/web-build.ts,
 * scripts/start-build.ts) are TypeScript and use the same checks.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const RUN_DIR = path.join(ROOT, '.run');
/** The key of the inputs the bundle in .run/ was built from, written last by the build. */
export const BUNDLE_KEY_FILE = path.join(RUN_DIR, '.inputs');

const SRC = path.join(ROOT, 'src');
const WEB = path.join(ROOT, 'web');
const WEB_BUILT = path.join(WEB, 'dist', 'index.html');

/** @param {string} dir */
function newestWebSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestWebSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** The web app's build is missing or older than one of its sources. */
export function webBuildIsStale() {
  if (!existsSync(WEB_BUILT)) return true;
  return newestWebSource(WEB) > statSync(WEB_BUILT).mtimeMs;
}

/** The files of src/ the server is made of (paths relative to src/), as tsconfig.build.json has them. */
export function serverSources() {
  return readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !/\.(test|suite)\.ts$/.test(entry.name))
    .map((entry) => path.relative(SRC, path.join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * A key of everything the bundle is made from: every source's path, size and mtime, the installed
 * packages, the checkout's place (the bundle holds its absolute paths), esbuild's version and the
 * build's own scripts (its options are in them).
 */
export function serverBundleKey() {
  const hash = createHash('sha256');
  for (const file of [
    'node_modules/esbuild/package.json',
    'scripts/start-build.ts',
    'scripts/start-inputs.mjs',
  ])
    hash.update(readFileSync(path.join(ROOT, file)));
  hash.update(ROOT);
  const installed = path.join(ROOT, 'node_modules/.package-lock.json');
  if (existsSync(installed)) hash.update(readFileSync(installed));
  for (const file of serverSources()) {
    const stat = statSync(path.join(SRC, file));
    hash.update(`${file}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** The bundle in .run/ was built from exactly the inputs there are now. */
export function serverBundleIsFresh() {
  return existsSync(BUNDLE_KEY_FILE) && readFileSync(BUNDLE_KEY_FILE, 'utf8') === serverBundleKey();
}

/**
 * The arguments of a package.json script that is one `node` command (`prestart`, `start`): what
 * the build, tests and benchmarks run as `npm start` does, without npm itself.
 * @param {string} name
 * @returns {string[]}
 */
export function nodeArgsOfScript(name) {
  const { scripts } = /** @type {{ scripts: Record<string, string> }} */ (
    JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  );
  const [command, ...args] = (scripts[name] ?? '').split(' ');
  // Anything else (a shell chain, another runner) would need a shell: say so rather than guess.
  if (command !== 'node') throw new Error(`package.json's ${name} is not one node command: ${scripts[name]}`);
  return args;
}
