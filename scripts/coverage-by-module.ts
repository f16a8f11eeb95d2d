import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Prints line coverage per part of src/ (each module, platform, providers, sandbox, the composition
 * root) from the json-summary report that `npm test` (`vitest run --coverage`) writes.
 * Usage: `npx tsx scripts/coverage-by-module.ts [coverage/coverage-summary.json]`.
 */
interface Totals {
  lines: { total: number; covered: number };
}

const root = path.resolve(import.meta.dirname, '..');
const file = path.resolve(root, process.argv[2] ?? 'coverage/coverage-summary.json');
// eslint-disable-next-line security/detect-non-literal-fs-filename -- a report path given on the command line
const summary = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Totals>;

function partOf(file: string): string {
  const [top, part, name] = path.relative(root, file).split(path.sep);
  if (top !== 'src') return top ?? file;
  if (part === 'modules' && name) return `modules/${name}`;
  return part?.endsWith('.ts') ? '(root)' : (part ?? '(root)');
}

const parts = new Map<string, { total: number; covered: number }>();
for (const [name, totals] of Object.entries(summary)) {
  if (name === 'total') continue;
  const part = partOf(name);
  const sum = parts.get(part) ?? { total: 0, covered: 0 };
  sum.total += totals.lines.total;
  sum.covered += totals.lines.covered;
  parts.set(part, sum);
}
const percent = (s: { total: number; covered: number }) =>
  s.total === 0 ? '100.00' : ((100 * s.covered) / s.total).toFixed(2);
for (const [part, sum] of [...parts].sort(([a], [b]) => a.localeCompare(b)))
  process.stdout.write(
    `${part.padEnd(24)} ${percent(sum).padStart(6)} %  (${sum.covered}/${sum.total} lines)\n`,
  );
if (summary.total)
  process.stdout.write(`${'total'.padEnd(24)} ${percent(summary.total.lines).padStart(6)} %\n`);
