/**
 * The import boundaries are held by the real lint config (eslint.config.js, rule
 * eslint-rules/architecture.js): these tests lint small snippets as if they lived at a path, so a
 * config change that drops a boundary fails here.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  const messages = result?.messages ?? [];
  expect(messages.filter((m) => m.fatal)).toEqual([]);
  const boundary = messages.filter((m) => m.ruleId === 'architecture/boundaries');
  expect(boundary.every((m) => m.severity === 2)).toBe(true);
  return boundary.map((m) => m.message);
}

const importOf = (...specs: string[]) =>
  specs.map((spec, i) => `import { x${i} } from '${spec}';\nvoid x${i};\n`).join('');

const platform = (target: string) =>
  `Import boundary: src/platform/ imports only src/platform/ and packages, not ${target}. ` +
  'Fix: move the shared piece into src/platform/, or let the composition root (src/services.ts) pass it in.';
const sandbox = (target: string) =>
  `Import boundary: src/sandbox/ imports only src/sandbox/ and packages, not ${target}. ` +
  'Fix: write the wire shape or parser here: sharing it with the client under test would hide a symmetric bug.';
const provider = (target: string) =>
  `Import boundary: a provider imports only its own folder, src/platform/money.ts, src/platform/net/upstream-policy.ts, src/platform/net/upstream-http.ts and packages, not ${target}. ` +
  'Fix: take what the client needs as an option, passed in by the composition root.';
const moduleLayer = (target: string) =>
  `Import boundary: a module imports only modules, providers, src/platform/ and packages, not ${target}. ` +
  'Fix: receive it through the deps the composition root (src/services.ts) passes in.';
const production = (target: string) =>
  `Import boundary: production code imports no test/ or bench/ code, not ${target}. Fix: move what it needs into src/.`;
const surface = (target: string) => {
  const [, part, name] = target.split('/');
  const unit = `${part === 'modules' ? 'module' : 'provider'} ${name}`;
  const index = `src/${part}/${name}/index.ts`;
  return (
    `Import boundary: ${target} is internal to ${unit}; from outside it import ${index} only. ` +
    `Fix: export what you need from ${index} and import that.`
  );
};

describe('every way of naming a module is checked', () => {
  it.each([
    ['import', "import { x } from '../../modules/ledger/service.js';\nvoid x;\n"],
    ['import type', "import type { X } from '../../modules/ledger/service.js';\nexport type Y = X;\n"],
    ['export from', "export { x } from '../../modules/ledger/service.js';\n"],
    ['export * from', "export * from '../../modules/ledger/service.js';\n"],
    ['side-effect import', "import '../../modules/ledger/service.js';\n"],
    ['dynamic import', "export const m = await import('../../modules/ledger/service.js');\n"],
    ['dynamic import of a template', 'export const m = await import(`../../modules/ledger/service.js`);\n'],
    ['import type in a type', "export type M = typeof import('../../modules/ledger/service.js');\n"],
  ])('%s', async (_form, code) => {
    expect(await boundaryErrors('src/platform/http/x.ts', code)).toEqual([
      platform('src/modules/ledger/service.ts'),
    ]);
  });

  it('resolves the path rather than counting ../, so a detour is caught', async () => {
    expect(
      await boundaryErrors('src/sandbox/paystack/x.ts', importOf('../paystack/../../platform/money.js')),
    ).toEqual([sandbox('src/platform/money.ts')]);
  });
});

describe('platform imports no module, provider or sandbox', () => {
  it.each([
    ['src/platform/http/x.ts', '../../modules/accounts/index.js', 'src/modules/accounts/index.ts'],
    ['src/platform/x.ts', './../providers/paystack/index.js', 'src/providers/paystack/index.ts'],
    ['src/platform/mail/x.ts', '../../sandbox/smtp/catcher.js', 'src/sandbox/smtp/catcher.ts'],
    ['src/platform/x.ts', '../services.js', 'src/services.ts'],
    ['src/platform/db/x.ts', '../../../test/support/database.js', 'test/support/database.ts'],
  ])('%s: refuses %s', async (filePath, spec, target) => {
    expect(await boundaryErrors(filePath, importOf(spec))).toEqual([platform(target)]);
  });

  it('allows the platform and packages', async () => {
    expect(await boundaryErrors('src/platform/http/x.ts', importOf('../errors.js', 'fastify'))).toEqual([]);
  });
});

describe('sandbox imports only itself', () => {
  it.each([
    ['src/sandbox/x.ts', '../platform/config.js', 'src/platform/config.ts'],
    ['src/sandbox/textverified/x.ts', '../../platform/money.js', 'src/platform/money.ts'],
    ['src/sandbox/paystack/x.ts', '../../providers/paystack/client.js', 'src/providers/paystack/client.ts'],
    ['src/sandbox/smtp/x.test.ts', '../../platform/mail/mailer.js', 'src/platform/mail/mailer.ts'],
    ['src/sandbox/textverified/x.ts', './../../modules/ledger/index.js', 'src/modules/ledger/index.ts'],
    ['src/sandbox/a/b/x.ts', '../../../../test/support/app.js', 'test/support/app.ts'],
    ['src/sandbox/x.ts', '../app.js', 'src/app.ts'],
  ])('%s: refuses %s', async (filePath, spec, target) => {
    expect(await boundaryErrors(filePath, importOf(spec))).toEqual([sandbox(target)]);
  });

  it.each([
    ['src/sandbox/embedded.ts', './paystack/index.js'],
    ['src/sandbox/textverified/x.ts', '../faults.js'],
    ['src/sandbox/textverified/x.ts', './catalog.js'],
    ['src/sandbox/paystack/x.ts', 'fastify'],
    ['src/sandbox/paystack/x.ts', 'node:crypto'],
    ['src/sandbox/a/b/x.ts', '../../faults.js'],
  ])('%s: allows %s', async (filePath, spec) => {
    expect(await boundaryErrors(filePath, importOf(spec))).toEqual([]);
  });

  it.each([
    ['src/modules/payments/x.test.ts', '../../sandbox/paystack/index.js'],
    ['src/runtime.ts', './sandbox/smtp/inbox-routes.js'],
    ['test/support/x.ts', '../../src/sandbox/smtp/catcher.js'],
  ])('leaves tests and the composition root free to import it: %s imports %s', async (filePath, spec) => {
    expect(await boundaryErrors(filePath, importOf(spec))).toEqual([]);
  });
});

describe('a module is imported only through its index.ts', () => {
  it.each([
    ['src/modules/payments/service.ts', '../ledger/store.js', 'src/modules/ledger/store.ts'],
    ['src/modules/payments/jobs.ts', '../ledger/domain.js', 'src/modules/ledger/domain.ts'],
    [
      'src/modules/verifications/x.ts',
      '../../providers/textverified/client.js',
      'src/providers/textverified/client.ts',
    ],
    ['src/modules/accounts/x.test.ts', '../ledger/service.js', 'src/modules/ledger/service.ts'],
    ['src/app.ts', './modules/accounts/routes.js', 'src/modules/accounts/routes.ts'],
    ['src/services.ts', './modules/verifications/events.js', 'src/modules/verifications/events.ts'],
    ['test/journey.e2e.test.ts', '../src/modules/ledger/service.js', 'src/modules/ledger/service.ts'],
    ['test/support/wallet.ts', '../../src/modules/ledger/store.js', 'src/modules/ledger/store.ts'],
    ['bench/x.bench.ts', '../src/modules/verifications/service.js', 'src/modules/verifications/service.ts'],
    [
      'src/platform/http/x.integration.test.ts',
      '../../modules/ledger/store.js',
      'src/modules/ledger/store.ts',
    ],
    // Only a schema may import another module's schema (for a foreign key), and only that.
    ['src/modules/api-keys/store.ts', '../accounts/schema.js', 'src/modules/accounts/schema.ts'],
    ['src/modules/api-keys/schema.ts', '../accounts/store.js', 'src/modules/accounts/store.ts'],
  ])('%s: refuses %s', async (filePath, spec, target) => {
    expect(await boundaryErrors(filePath, importOf(spec))).toEqual([surface(target)]);
  });

  it.each([
    [
      'src/modules/payments/service.ts',
      ['../ledger/index.js', './store.js', '../../platform/db/database.js'],
    ],
    ['src/modules/payments/service.ts', ['../../providers/paystack/index.js']],
    ['src/modules/api-keys/schema.ts', ['../accounts/schema.js']],
    ['src/modules/ledger/ledger.suite.ts', ['./service.js', '../../../test/support/database.js']],
    [
      'src/modules/accounts/x.test.ts',
      ['./store.js', '../../sandbox/smtp/catcher.js', '../../../test/support/app.js'],
    ],
    ['src/providers/paystack/client.test.ts', ['./client.js', '../../sandbox/paystack/testing.js']],
    ['src/app.ts', ['./modules/accounts/index.js', './platform/http/guards.js']],
    ['test/support/app.ts', ['../../src/modules/ledger/index.js', '../../src/platform/config.js']],
    ['bench/x.bench.ts', ['../src/modules/ledger/index.js', './support.js']],
    [
      'src/platform/http/x.integration.test.ts',
      ['../../modules/ledger/index.js', '../../../test/support/app.js'],
    ],
  ])('%s: allows %j', async (filePath, specs) => {
    expect(await boundaryErrors(filePath, importOf(...specs))).toEqual([]);
  });
});

describe('a module depends on no sandbox, composition root or test code', () => {
  it.each([
    ['src/modules/payments/x.ts', '../../sandbox/paystack/index.js', 'src/sandbox/paystack/index.ts'],
    ['src/modules/accounts/x.ts', '../../services.js', 'src/services.ts'],
    ['src/modules/ledger/x.ts', '../../../test/support/database.js', 'test/support/database.ts'],
  ])('%s: refuses %s', async (filePath, spec, target) => {
    expect(await boundaryErrors(filePath, importOf(spec))).toEqual([moduleLayer(target)]);
  });

  it('keeps test code out of the composition root', async () => {
    expect(await boundaryErrors('src/runtime.ts', importOf('../test/support/app.js'))).toEqual([
      production('test/support/app.ts'),
    ]);
  });
});

describe('providers import only themselves, src/platform/money.ts and the upstream policy', () => {
  it.each([
    ['src/providers/paystack/x.ts', '../../modules/payments/index.js', 'src/modules/payments/index.ts'],
    [
      'src/providers/textverified/x.ts',
      '../../sandbox/textverified/index.js',
      'src/sandbox/textverified/index.ts',
    ],
    ['src/providers/paystack/x.ts', '../../platform/config.js', 'src/platform/config.ts'],
    ['src/providers/paystack/x.ts', '../textverified/index.js', 'src/providers/textverified/index.ts'],
  ])('%s: refuses %s', async (filePath, spec, target) => {
    expect(await boundaryErrors(filePath, importOf(spec))).toEqual([provider(target)]);
  });

  it('allows its own folder, src/platform/money.ts, the upstream policy and HTTP call, and packages', async () => {
    const code = importOf(
      './mapping.js',
      '../../platform/money.js',
      '../../platform/net/upstream-policy.js',
      '../../platform/net/upstream-http.js',
      'cockatiel',
    );
    expect(await boundaryErrors('src/providers/textverified/client.ts', code)).toEqual([]);
  });
});
