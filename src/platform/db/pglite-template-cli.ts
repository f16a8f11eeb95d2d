import { buildPgliteFolder } from './pglite-template.js';

/** `pglite-template-cli <folder>`: run by `ensurePgliteTemplate` in a short-lived process of its own. */
const folder = process.argv[2];
if (!folder) {
  process.stderr.write('usage: pglite-template-cli <folder>\n');
  process.exit(2);
}
await buildPgliteFolder(folder);
