// The import boundaries between the parts of the repo (docs/CONTRIBUTING.md, "A domain module").
// A local rule because eslint-plugin-boundaries is not a dependency; there are no path aliases, so
// resolving each relative specifier against the importing file is all the resolution needed.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where a file sits. Test code (test/**, bench/**, *.test.ts and *.suite.ts anywhere but the
 * sandbox) may reach every part, but only through the public surfaces; a module's or provider's
 * own tests may import its internals. test/support gets no exception: its helpers go through
 * index.ts like any caller, so splitting a module's files never breaks them.
 */
function locate(file) {
  const rel = path.relative(root, file).split(path.sep).join('/');
  const [top, part, name] = rel.split('/');
  const test = top === 'test' || top === 'bench' || /\.(test|suite)\.ts$/.test(rel);
  const source = rel.replace(/\.(js|ts)$/, '.ts');
  if (top !== 'src') return { kind: top === 'test' || top === 'bench' ? top : 'other', test, source };
  if (part === 'modules' || part === 'providers') {
    const kind = part === 'modules' ? 'module' : 'provider';
    const surface = `src/${part}/${name}/index.ts`;
    return { kind, name, unit: `${kind} ${name}`, surface, test, source };
  }
  if (part === 'platform' || part === 'sandbox') return { kind: part, test, source };
  return { kind: 'root', test, source };
}

/**
 * What each part of production code may import (packages are always allowed). Providers are
 * clients of one upstream each: they get their settings as options, and from the platform only
 * money.ts, the one shared conversion between decimal strings and minor units, and
 * net/upstream-policy.ts, the one shared timeout/retry/circuit-breaker policy of upstream calls,
 * and net/upstream-http.ts, the HTTP call itself.
 */
const PROVIDER_SHARED = [
  'src/platform/money.ts',
  'src/platform/net/upstream-policy.ts',
  'src/platform/net/upstream-http.ts',
];

const layers = {
  platform: {
    allows: (to) => to.kind === 'platform',
    rule: 'src/platform/ imports only src/platform/ and packages',
    fix: 'move the shared piece into src/platform/, or let the composition root (src/services.ts) pass it in',
  },
  sandbox: {
    allows: (to) => to.kind === 'sandbox',
    rule: 'src/sandbox/ imports only src/sandbox/ and packages',
    fix: 'write the wire shape or parser here: sharing it with the client under test would hide a symmetric bug',
  },
  provider: {
    allows: (to, from) => to.unit === from.unit || PROVIDER_SHARED.includes(to.source),
    rule: 'a provider imports only its own folder, src/platform/money.ts, src/platform/net/upstream-policy.ts, src/platform/net/upstream-http.ts and packages',
    fix: 'take what the client needs as an option, passed in by the composition root',
  },
  module: {
    allows: (to) => ['module', 'provider', 'platform'].includes(to.kind),
    rule: 'a module imports only modules, providers, src/platform/ and packages',
    fix: 'receive it through the deps the composition root (src/services.ts) passes in',
  },
  root: {
    allows: (to) => to.kind !== 'test' && to.kind !== 'bench',
    rule: 'production code imports no test/ or bench/ code',
    fix: 'move what it needs into src/',
  },
};

// Tables may reference another module's table for a foreign key: */schema.ts → */schema.ts only.
const isSchema = (file) => file.kind === 'module' && file.source === `src/modules/${file.name}/schema.ts`;
const schemaForeignKey = (from, to) => isSchema(from) && isSchema(to);

export default {
  rules: {
    boundaries: {
      meta: {
        type: 'problem',
        docs: {
          description: 'Keeps imports inside the boundaries of platform, modules, providers and sandbox',
        },
        schema: [],
        messages: {
          layer: 'Import boundary: {{rule}}, not {{target}}. Fix: {{fix}}.',
          surface:
            'Import boundary: {{target}} is internal to {{unit}}; from outside it import {{surface}} only. ' +
            'Fix: export what you need from {{surface}} and import that.',
        },
      },
      create(context) {
        const from = locate(context.filename);
        if (from.kind === 'other') return {};
        // Sandbox tests stay inside the sandbox like the rest of it; other test code is not layered.
        const layer = from.test && from.kind !== 'sandbox' ? undefined : layers[from.kind];

        function check(node, spec) {
          if (typeof spec !== 'string' || !spec.startsWith('.')) return;
          const to = locate(path.resolve(path.dirname(context.filename), spec));
          const data = { target: to.source };
          if (layer && !layer.allows(to, from)) {
            context.report({ node, messageId: 'layer', data: { ...data, rule: layer.rule, fix: layer.fix } });
          } else if (
            to.unit &&
            to.unit !== from.unit &&
            to.source !== to.surface &&
            !schemaForeignKey(from, to)
          ) {
            context.report({
              node,
              messageId: 'surface',
              data: { ...data, unit: to.unit, surface: to.surface },
            });
          }
        }
        const fromSource = (node) => node.source && check(node.source, node.source.value);
        return {
          ImportDeclaration: fromSource,
          ExportNamedDeclaration: fromSource,
          ExportAllDeclaration: fromSource,
          ImportExpression: ({ source }) => {
            if (source.type === 'Literal') check(source, source.value);
            else if (source.type === 'TemplateLiteral' && source.expressions.length === 0) {
              check(source, source.quasis[0].value.cooked);
            }
          },
          // `typeof import('../x.js')` in a type position.
          TSImportType: (node) => {
            const literal = node.source ?? node.argument?.literal;
            if (literal?.type === 'Literal') check(node, literal.value);
          },
        };
      },
    },
  },
};
