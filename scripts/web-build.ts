import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { webBuildIsStale } from './start-inputs.mjs';

/**
 * Builds the web app (web/ → web/dist) when the build is missing or older than its sources.
 * `npm start` runs it first (its prestart, scripts/prestart.mjs, when the build is stale), the test run in its global
 * setup: a fresh clone serves the pages without a separate build step, and an unchanged tree is not
 * rebuilt.
 */
const root = path.resolve(import.meta.dirname, '..');
const web = path.join(root, 'web');
const built = path.join(web, 'dist', 'index.html');

export async function ensureWebBuild(options: { quiet?: boolean } = {}): Promise<'built' | 'fresh'> {
  if (!webBuildIsStale()) return 'fresh';
  // A process of its own with NODE_ENV=production: Vite and React pick their production builds by
  // it, and the caller may run under another (the test run sets `test`).
  const vite = path.join(root, 'node_modules', '.bin', 'vite');
  // vite is a dev dependency: a production install (`--omit=dev`) ships a prebuilt web/dist instead.
  if (!existsSync(vite)) throw new Error('vite is not installed (npm ci without --omit=dev installs it)');
  const result = spawnSync(vite, ['build', web, ...(options.quiet ? ['--logLevel', 'error'] : [])], {
    cwd: root,
    stdio: options.quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error(`vite build failed (exit ${result.status ?? result.signal})`);
  return 'built';
}

/**
 * `npm start`'s step: builds the web app if needed; a failure is reported, not fatal, since the API
 * runs without the pages (and an older web/dist is still served).
 */
export async function prepareWebApp(): Promise<void> {
  try {
    const result = await ensureWebBuild();
    if (result === 'built') process.stdout.write('Built the web app into web/dist.\n');
  } catch (error) {
    if (existsSync(built)) {
      process.stderr.write(
        `Could not rebuild the web app (${(error as Error).message}); serving the existing web/dist.\n`,
      );
    } else {
      process.stderr.write(
        `Could not build the web app: ${(error as Error).message}\nThe API still runs; run \`npm run build:web\` for the pages.\n`,
      );
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await prepareWebApp();
