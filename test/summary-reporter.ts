import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import { type LineCount, formatParts, linesByPart } from '../scripts/coverage-parts.js';

/**
 * Ends the run with one plain line, `N passed, N failed, N skipped`, that any CI reads the same
 * way whatever runner printed the lines above it; on a run with coverage, the line coverage of each
 * module (the figures issue 13 asks for) comes just before it.
 */
/** What this reporter reads of the istanbul coverage map Vitest hands over (no types ship for it). */
interface CoverageMap {
  files(): string[];
  fileCoverageFor(file: string): { toSummary(): { lines: LineCount } };
}

const root = path.resolve(import.meta.dirname, '..');

export default class SummaryReporter implements Reporter {
  onCoverage(coverage: unknown): void {
    const map = coverage as CoverageMap;
    const files = map
      .files()
      .map((file): [string, LineCount] => [file, map.fileCoverageFor(file).toSummary().lines]);
    process.stdout.write(`\nLine coverage by part of src/:\n${formatParts(linesByPart(root, files))}`);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that failed to load has no tests to count but is a failure all the same.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
