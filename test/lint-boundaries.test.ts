/**
 * The import boundaries are held by the real lint config (eslint.config.js): these tests lint
 * small snippets as if they lived at a path, so a config change that drops a boundary fails here.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function restrictedImports(filePath: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports');
}

describe('sandbox imports only itself', () => {
  it.each([
    ['src/sandbox/x.ts', "import { config } from '../platform/config.js';\nvoid config;\n"],
    [
      'src/sandbox/textverified/x.ts',
      "import { decimalToMinorUnits } from '../../platform/money.js';\nvoid decimalToMinorUnits;\n",
    ],
    [
      'src/sandbox/paystack/x.ts',
      "import type { PaystackClient } from '../../providers/paystack/client.js';\nexport type C = PaystackClient;\n",
    ],
    ['src/sandbox/smtp/x.test.ts', "export { createMailer } from '../../platform/mail/mailer.js';\n"],
    ['src/sandbox/textverified/x.ts', "import { a } from './../../modules/ledger/index.js';\nvoid a;\n"],
    ['src/sandbox/a/b/x.ts', "import { b } from '../../../test/support/app.js';\nvoid b;\n"],
    ['src/sandbox/paystack/x.ts', "import { m } from '../paystack/../../platform/money.js';\nvoid m;\n"],
  ])('%s: refuses %s', async (filePath, code) => {
    const errors = await restrictedImports(filePath, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ severity: 2 });
    expect(errors[0]?.message).toMatch(/src\/sandbox\/ imports only src\/sandbox\/ and packages/);
  });

  it.each([
    [
      'src/sandbox/embedded.ts',
      "import { startPaystackSandbox } from './paystack/index.js';\nvoid startPaystackSandbox;\n",
    ],
    ['src/sandbox/textverified/x.ts', "import { FaultQueue } from '../faults.js';\nvoid FaultQueue;\n"],
    ['src/sandbox/textverified/x.ts', "import { AREA_CODES } from './catalog.js';\nvoid AREA_CODES;\n"],
    [
      'src/sandbox/paystack/x.ts',
      "import Fastify from 'fastify';\nimport { randomBytes } from 'node:crypto';\nvoid Fastify;\nvoid randomBytes;\n",
    ],
    ['src/sandbox/a/b/x.ts', "import { c } from '../../faults.js';\nvoid c;\n"],
  ])('%s: allows %s', async (filePath, code) => {
    expect(await restrictedImports(filePath, code)).toEqual([]);
  });

  it('leaves code outside the sandbox free to import the sandbox', async () => {
    const code =
      "import { startPaystackSandbox } from '../../sandbox/paystack/index.js';\nvoid startPaystackSandbox;\n";
    expect(await restrictedImports('src/modules/payments/x.test.ts', code)).toEqual([]);
  });
});
