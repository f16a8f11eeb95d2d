// @ts-check
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports, security/detect-non-literal-fs-filename -- a CommonJS launcher; its paths are .run/'s */
/**
 * `npm start`'s server: runs the bundle .run/main.cjs (scripts/start-build.ts) with V8's code cache.
 *
 * Compiling the 6 MB bundle, and then each function the start calls, was about a tenth of a start.
 * Node 20 keeps no code cache for ES modules (22's `module.enableCompileCache` does), but V8 takes
 * one for a script. Two caches, in .run/ beside the bundle (a rebuild empties the folder):
 * - `main.cjs.top-level.v8-cache`, made by the build (`--top-level-cache`): the bundle's top level
 *   compiled (50–60 ms to read against 190–260 ms to compile), so a first start has it too;
 * - `main.cjs.v8-cache`, saved by a server a second after it serves: every function the start ran
 *   as well, which a later start then does not compile (0.3 s less to /healthz, measured).
 * V8 refuses a cache made for another source, V8 version or set of flags (the build makes its
 * cache with `npm start`'s own flags); the start then compiles as if there were none and saves a
 * new one. Nothing here is needed for correctness: without a cache the bundle runs the same.
 */
const { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { Script, constants } = require('node:vm');
const { Worker } = require('node:worker_threads');

const BUNDLE = path.resolve(__dirname, '../.run/main.cjs');
const FULL_CACHE = `${BUNDLE}.v8-cache`;
const TOP_LEVEL_CACHE = `${BUNDLE}.top-level.v8-cache`;
/** After the start, so the cache holds the code of the functions it ran; a moment later, so the first requests are not kept waiting by it (~75 ms). */
const SAVE_AFTER_MS = 1000;

/**
 * The embedded database's thread (src/platform/db/pglite-thread.ts), started before anything else:
 * it loads PostgreSQL's WebAssembly while this thread reads and runs the bundle, then opens the
 * data folder the server sends it (src/platform/db/pglite-on-thread.ts). Only when the server will
 * be embedded: config.ts chooses PostgreSQL exactly when DATABASE_URL is set. Unused (a server
 * that stops on a bad setting), it keeps nothing alive.
 */
function launchDatabaseThread() {
  if (process.env.DATABASE_URL) return;
  const thread = new Worker(path.resolve(__dirname, '../.run/platform/db/pglite-thread.js'));
  thread.unref();
  Object.assign(globalThis, { [Symbol.for('namaskah.databaseThread')]: thread });
}

/** @param {string} file @returns {Buffer | undefined} */
function readCache(file) {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** @param {string} file @param {Buffer} data written aside and renamed, so a start never reads half a cache */
function saveCache(file, data) {
  try {
    const aside = mkdtempSync(`${file}-`);
    writeFileSync(path.join(aside, 'cache'), data);
    renameSync(path.join(aside, 'cache'), file);
    rmSync(aside, { recursive: true, force: true });
  } catch {
    // A read-only checkout starts without a cache, as before.
  }
}

/** @param {Buffer | undefined} cachedData */
function compileBundle(cachedData) {
  // The wrapper Node gives a CommonJS file, on the bundle's first line so its line numbers hold.
  return new Script(
    `(function (exports, require, module, __filename, __dirname) {${readFileSync(BUNDLE, 'utf8')}\n})`,
    {
      filename: BUNDLE,
      cachedData,
      // The bundle's `import()` of an ES module (an external package) goes to Node's own loader.
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    },
  );
}

function serve() {
  launchDatabaseThread();
  const full = readCache(FULL_CACHE);
  const script = compileBundle(full ?? readCache(TOP_LEVEL_CACHE));
  const bundleModule = new Module(BUNDLE, module);
  bundleModule.filename = BUNDLE;
  script.runInThisContext()(
    bundleModule.exports,
    Module.createRequire(BUNDLE),
    bundleModule,
    BUNDLE,
    path.dirname(BUNDLE),
  );
  if (full !== undefined && !script.cachedDataRejected) return;
  Promise.resolve(bundleModule.exports.started).then(
    () => setTimeout(() => saveCache(FULL_CACHE, script.createCachedData()), SAVE_AFTER_MS).unref(),
    () => undefined,
  );
}

if (process.argv.includes('--top-level-cache'))
  saveCache(TOP_LEVEL_CACHE, compileBundle(undefined).createCachedData());
else serve();
