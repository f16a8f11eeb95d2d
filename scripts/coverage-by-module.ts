import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type LineCount, formatParts, linesByPart } from './coverage-parts.js';

/**
 * Prints line coverage per part of src/ (each module, platform, providers, sandbox, the composition
 * root) from the json-summary report that `npm test` (`vitest run --coverage`) writes; the test run
 * prints the same table at its end.
 * Usage: `npx tsx scripts/coverage-by-module.ts [coverage/coverage-summary.json]`.
 */
const root = path.resolve(import.meta.dirname, '..');
const file = path.resolve(root, process.argv[2] ?? 'coverage/coverage-summary.json');
// eslint-disable-next-line security/detect-non-literal-fs-filename -- a report path given on the command line
const summary = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { lines: LineCount }>;
const files = Object.entries(summary)
  .filter(([name]) => name !== 'total')
  .map(([name, totals]): [string, LineCount] => [name, totals.lines]);
process.stdout.write(formatParts(linesByPart(root, files)));
