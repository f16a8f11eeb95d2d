// @ts-check
/**
 * `npm start`'s prestart. On an unchanged checkout it only finds the web app and the server's bundle
 * fresh and ends (tens of milliseconds); when either is stale or missing it runs the build,
 * scripts/start-build.ts, through tsx.
 */
import { spawnSync } from 'node:child_process';
import { ROOT, serverBundleIsFresh, webBuildIsStale } from './start-inputs.mjs';

if (webBuildIsStale() || !serverBundleIsFresh()) {
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/start-build.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  process.exit(build.status ?? 1);
}
