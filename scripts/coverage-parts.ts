import path from 'node:path';

/**
 * Line coverage grouped by part of src/: each module (`modules/ledger`), each other top folder
 * (`platform`, `providers`, `sandbox`) and the composition root's own files (`(root)`). Shared by
 * the test run's summary (test/summary-reporter.ts) and `scripts/coverage-by-module.ts`.
 */
export interface LineCount {
  total: number;
  covered: number;
}

export function partOf(root: string, file: string): string {
  const [top, part, name] = path.relative(root, file).split(path.sep);
  if (top !== 'src') return top ?? file;
  if (part === 'modules' && name) return `modules/${name}`;
  return part?.endsWith('.ts') ? '(root)' : (part ?? '(root)');
}

export function linesByPart(root: string, files: Iterable<[string, LineCount]>): Map<string, LineCount> {
  const parts = new Map<string, LineCount>();
  for (const [file, lines] of files) {
    const part = partOf(root, file);
    const sum = parts.get(part) ?? { total: 0, covered: 0 };
    sum.total += lines.total;
    sum.covered += lines.covered;
    parts.set(part, sum);
  }
  return parts;
}

export const percent = (lines: LineCount): string =>
  lines.total === 0 ? '100.00' : ((100 * lines.covered) / lines.total).toFixed(2);

/** One line per part, sorted by name, then the total: `modules/ledger  96.12 %  (520/541 lines)`. */
export function formatParts(parts: Map<string, LineCount>): string {
  const total = { total: 0, covered: 0 };
  let out = '';
  for (const [part, lines] of [...parts].sort(([a], [b]) => a.localeCompare(b))) {
    total.total += lines.total;
    total.covered += lines.covered;
    out += `${part.padEnd(24)} ${percent(lines).padStart(6)} %  (${lines.covered}/${lines.total} lines)\n`;
  }
  return `${out}${'total'.padEnd(24)} ${percent(total).padStart(6)} %  (${total.covered}/${total.total} lines)\n`;
}
