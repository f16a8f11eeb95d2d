import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take minutes, longest first (seconds in a CI run of a clean clone): with two
 * workers, a long file started last sets the end of the run. A clean clone has no record of past
 * durations, so Vitest's own order (larger files first) started `test/web/journeys.e2e.test.ts`
 * late and the test phase took 847 s where its files add up to 1,257 s (628 s on two workers).
 */
const SLOWEST = [
  'test/web/journeys.e2e.test.ts', // 323
  'test/faults/faults.e2e.test.ts', // 203
  'test/journey.e2e.test.ts', // 69
  'test/web/renewal.e2e.test.ts', // 52
  'test/build.e2e.test.ts', // 35
  'test/start.e2e.test.ts', // 32
];

export class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = SLOWEST.indexOf(path.relative(file.project.config.root, file.moduleId));
      return index === -1 ? SLOWEST.length : index;
    };
    // Array.prototype.sort is stable: the rest keep Vitest's order (past durations when it has them).
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
