/* eslint-disable security/detect-non-literal-fs-filename -- paths are the repo's own (migrations, PGlite, node_modules/.cache) and the operator's DATA_DIR */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';

/**
 * PGlite's initdb needs ~1 GB of memory and several seconds, so the serving process never runs it:
 * a short-lived child process builds one initialised, migrated data folder (the template) per
 * PGlite version and migration set, and every new data folder starts as a copy of it.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const MIGRATIONS = path.resolve(here, '../../../drizzle');
const CACHE = path.resolve(here, '../../../node_modules/.cache/namaskah');
// Not `import.meta.resolve`: npm start's bundle of this file is CommonJS, which has no import.meta.
const resolvePackage = createRequire(import.meta.url).resolve;

/**
 * PostgreSQL's default 128 MB of shared buffers is most of PGlite's memory; the embedded default
 * serves one user's data, for which 16 MB is plenty.
 */
export const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/** Names the template: a new PGlite or a new migration makes a new one. */
function templateKey(): string {
  const hash = createHash('sha256');
  const pglite = resolvePackage('@electric-sql/pglite');
  hash.update(readFileSync(path.resolve(path.dirname(pglite), '../package.json')));
  // The job queue's own schema is in the template too.
  hash.update(readFileSync(path.resolve(resolvePackage('pg-boss'), '../../package.json')));
  for (const file of readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    hash.update(file).update(readFileSync(path.join(MIGRATIONS, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Initialises and migrates a PGlite data folder (what the child process runs). */
export async function buildPgliteFolder(folder: string): Promise<void> {
  const client = await PGlite.create(folder, { startParams: PGLITE_START_PARAMS });
  try {
    await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS });
  } finally {
    await client.close();
  }
}

/** The template folder for this PGlite and these migrations, built in a child process if missing. */
export async function ensurePgliteTemplate(): Promise<string> {
  const template = path.join(CACHE, `pglite-${templateKey()}`);
  if (existsSync(path.join(template, 'PG_VERSION'))) return template;
  // Built aside and renamed into place: a concurrent start never copies a half-built template.
  removeAbandoned(template);
  const building = `${template}.${process.pid}.${randomBytes(4).toString('hex')}`;
  mkdirSync(building, { recursive: true });
  try {
    await runBuilder(building);
    try {
      renameSync(building, template);
    } catch (error) {
      // Another process finished first: its template is as good as ours.
      if (!existsSync(path.join(template, 'PG_VERSION'))) throw error;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  await ensureSpareCopy(template);
  return template;
}

function runBuilder(folder: string): Promise<void> {
  // The sibling CLI file; from TypeScript sources (tsx, or vitest whose loader a child does not
  // inherit) it runs through tsx, a runtime dependency.
  const extension = path.extname(fileURLToPath(import.meta.url));
  // The builder is the application's (src/embedded-template-cli.ts), not the platform's: it also
  // prepares the job queues the modules define. It is run, never imported, so layers stay apart.
  const cli = path.resolve(here, `../../embedded-template-cli${extension}`);
  const loader = extension === '.ts' ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, cli, folder], {
    cwd: path.resolve(here, '../../..'),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`Initialising the embedded database failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}

/**
 * After a first start has taken the template's spare copy, a new one is made this long after, once
 * the start is over (a process that lives shorter leaves the next first start to copy).
 */
const SPARE_REFILL_DELAY_MS = 5_000;

/** Makes `folder` a new PGlite data folder from the template, unless it already is one. */
export async function seedPgliteFolder(folder: string): Promise<void> {
  if (existsSync(path.join(folder, 'PG_VERSION'))) return;
  const template = await ensurePgliteTemplate();
  await seedFromTemplate(template, folder);
  setTimeout(() => void ensureSpareCopy(template), SPARE_REFILL_DELAY_MS).unref();
}

/**
 * The template's spare copy, kept ready beside it: a first start renames it into place (one rename
 * instead of copying ~1,300 files: 0.2–0.6 s of a first start on this project's machine).
 */
export const spareCopyOf = (template: string): string => `${template}.spare`;

/**
 * `folder` becomes a data folder: the template's spare copy renamed into place when there is one
 * (and it is on the same file system), else a copy of the template. Either appears at once: a copy
 * is made aside and renamed, so an interrupted one never looks like a data folder.
 */
export async function seedFromTemplate(template: string, folder: string): Promise<void> {
  // An empty folder left by an earlier version or an interrupted start is replaced.
  if (existsSync(folder)) rmdirSync(folder);
  try {
    // Atomic: of two first starts at once, one takes the spare and the other copies.
    renameSync(spareCopyOf(template), folder);
    return;
  } catch {
    // No spare (taken, or not made yet) or another file system: copy.
  }
  // Named like the spare's copies, so that what a start killed mid-copy left is removed here.
  removeAbandoned(folder);
  const copying = `${folder}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await copyFolder(template, copying);
    renameSync(copying, folder);
  } finally {
    rmSync(copying, { recursive: true, force: true });
  }
}

/** Makes the template's spare copy if it has none. Best effort: without one, a first start copies. */
export async function ensureSpareCopy(template: string): Promise<void> {
  const spare = spareCopyOf(template);
  if (existsSync(path.join(spare, 'PG_VERSION'))) return;
  removeAbandoned(spare);
  const copying = `${spare}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await copyFolder(template, copying);
    renameSync(copying, spare);
  } catch {
    // Another process made one first (the rename then fails on its folder), or the disk is full.
  } finally {
    rmSync(copying, { recursive: true, force: true });
  }
}

/**
 * Removes the half-made folders (`<folder>.<pid>.<random>`) of processes that were killed while
 * making them: 42 MB each that nothing would read. One of a live process is left alone.
 */
function removeAbandoned(folder: string): void {
  const parent = path.dirname(folder);
  const prefix = `${path.basename(folder)}.`;
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) {
    const maker = Number(/^(\d+)\.[0-9a-f]+$/.exec(name.slice(prefix.length))?.[1]);
    if (name.startsWith(prefix) && maker > 0 && !processAlive(maker)) {
      rmSync(path.join(parent, name), { recursive: true, force: true });
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A copy of a data folder, its ~1,300 files copied side by side on libuv's thread pool, where
 * `cpSync` copies them one after another on the main thread (1.1 s of a first start).
 */
async function copyFolder(from: string, to: string): Promise<void> {
  const entries = await readdir(from, { recursive: true, withFileTypes: true });
  const target = (entry: { parentPath: string; name: string }) =>
    path.join(to, path.relative(from, path.join(entry.parentPath, entry.name)));
  await mkdir(to, { recursive: true });
  // Every folder first (empty ones included: PostgreSQL expects them), then every file.
  for (const entry of entries) if (entry.isDirectory()) await mkdir(target(entry), { recursive: true });
  await Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map((entry) => copyFile(path.join(entry.parentPath, entry.name), target(entry))),
  );
}
