import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm run bench <name>…` runs the single benchmarks named (bench/<name>.bench.ts), one after
 * the other; with no name, all of them. (`npm run bench` alone runs the system benchmark, run.ts.)
 * Each prints its own numbers and checks the ledger afterwards.
 */
const folder = import.meta.dirname;
const available = readdirSync(folder)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.replace(/\.bench\.ts$/, ''))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${available.join(', ')}`);
  process.exit(2);
}
let failed = false;
for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`\n=== ${name} ===`);
  const tsx = path.resolve(folder, '../node_modules/.bin/tsx');
  const result = spawnSync(tsx, [path.join(folder, `${name}.bench.ts`)], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
