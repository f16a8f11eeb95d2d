import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

/**
 * `npm run build`: the production build. The server's TypeScript is compiled by `tsc` into `dist/`
 * (src/x.ts → dist/x.js, so `node dist/main.js` needs no transpiler), the files the server reads
 * next to its code (the common-password list) are copied beside it, and the web app is built into
 * `web/dist`. The compiled files find `drizzle/` and `web/dist` by the same relative paths as the
 * sources (dist/ sits where src/ does), so a deployment ships `package.json`, `node_modules`
 * (production), `dist/`, `drizzle/` and `web/dist/`.
 *
 * `--out <dir>` compiles the server elsewhere (the build test); `--no-web` skips the web app.
 */
const root = path.resolve(import.meta.dirname, '..');

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(command)} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`,
    );
  }
}

/**
 * Every file under src/ that is not TypeScript: what the server reads beside its modules at run time.
 * Also `npm start`'s bundle in .run/ (scripts/start-build.ts).
 */
export function copyAssets(from: string, to: string): number {
  let copied = 0;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- walks the repo's own src/
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copied += copyAssets(source, target);
    else if (!entry.name.endsWith('.ts')) {
      cpSync(source, target);
      copied += 1;
    }
  }
  return copied;
}

function buildServer(outDir: string): void {
  // The folder is emptied first: never the checkout itself or a folder that holds it.
  if (!path.relative(outDir, root).startsWith('..')) throw new Error(`refusing to build into ${outDir}`);
  rmSync(outDir, { recursive: true, force: true });
  run(path.join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', outDir]);
  copyAssets(path.join(root, 'src'), outDir);
}

function buildWeb(): void {
  // Always a fresh build: a release must not ship whatever web/dist a developer left behind.
  const vite = path.join(root, 'node_modules/.bin/vite');
  if (!existsSync(vite)) throw new Error('vite is not installed (a build needs the dev dependencies)');
  // Vite and React pick their production builds by NODE_ENV, whatever the caller runs under.
  run(vite, ['build', 'web', '--logLevel', 'warn'], { ...process.env, NODE_ENV: 'production' });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: 'dist' }, 'no-web': { type: 'boolean', default: false } },
    strict: true,
  });
  const outDir = path.resolve(root, values.out);
  try {
    buildServer(outDir);
    process.stdout.write(
      `Built the server into ${path.relative(root, outDir) || '.'}/ (node dist/main.js).\n`,
    );
    if (!values['no-web']) {
      buildWeb();
      process.stdout.write('Built the web app into web/dist/.\n');
    }
  } catch (error) {
    process.stderr.write(`Build failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
