/* eslint-disable security/detect-non-literal-fs-filename -- the folder is the one ensurePgliteTemplate gave this process */
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from './platform/config.js';
import { buildPgliteFolder } from './platform/db/pglite-template.js';
import { startRuntime } from './runtime.js';

/**
 * `embedded-template-cli <folder>`: builds the embedded database template in a short-lived process
 * of its own (run by `ensurePgliteTemplate`; PGlite's initdb needs ~1 GB). After initdb and the
 * migrations it starts the application once on it, without listening or working, so the job
 * queue's schema, queues and schedules are in the template too: a first start then only copies
 * the folder (they took ~3 s of a first start).
 */
const folder = process.argv[2];
if (!folder) {
  process.stderr.write('usage: embedded-template-cli <folder>\n');
  process.exit(2);
}
// The application keeps its database in `<DATA_DIR>/pglite`: build there, then move it into place.
const dataDir = `${folder}.data`;
const database = path.join(dataDir, 'pglite');
try {
  mkdirSync(dataDir, { recursive: true });
  await buildPgliteFolder(database);
  const config = {
    ...loadConfig(),
    database: { kind: 'pglite', dataDir } as const,
    dataDir,
    sandboxes: false,
    role: 'web' as const,
    redisUrl: undefined,
    logLevel: 'warn' as const,
  };
  const runtime = await startRuntime(config, { listen: false });
  await runtime.close();
  rmSync(folder, { recursive: true, force: true });
  renameSync(database, folder);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
