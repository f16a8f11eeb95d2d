import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type EmbeddedApp, startEmbeddedApp } from './support/embedded.js';

/**
 * deploy/prometheus/alerts.yml: it parses as a Prometheus rules file, and every metric (and every
 * label matched on) in its expressions is one the app exports on /metrics, as `startRuntime`
 * builds it (the embedded default, with the TextVerified sandbox as its provider).
 */
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const file = path.resolve(import.meta.dirname, '../deploy/prometheus/alerts.yml');
const rules = (
  parse(readFileSync(file, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }
).groups.flatMap((group) => group.rules);

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'bool', 'offset']);

/** The metric selectors of an expression: name and the label names it matches on. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  const blocks: string[] = [];
  const code = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values and strings
    .replace(/\[[^\]]*\]/g, '') // range durations
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '') // grouping label lists
    .replace(/\b\d[\d.eE+-]*/g, '') // numbers (1e-9 is not a metric called e)
    .replace(/\{[^}]*\}/g, (block) => `#${blocks.push(block) - 1}#`); // label matchers, set aside
  const tokens = [...code.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*|#\d+#|\(/g)].map((m) => m[0]);
  const found: { metric: string; labels: string[] }[] = [];
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    if (token === '(' || token.startsWith('#') || next === '(' || PROMQL_WORDS.has(token)) return;
    const matchers = next?.startsWith('#') ? blocks[Number(next.slice(1, -1))]! : '';
    const labels = [...matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!);
    found.push({ metric: token, labels });
  });
  return found;
}

/** Family name → label names seen on its series, from the text exposition format. */
function exported(text: string): Map<string, Set<string>> {
  const families = new Map<string, Set<string>>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const names = type === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => name! + s) : [name!];
    for (const n of names) families.set(n, new Set());
  }
  for (const [, name, labels] of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/gm)) {
    for (const [, label] of labels!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) families.get(name!)?.add(label!);
  }
  return families;
}

let embedded: EmbeddedApp;
let metrics: Map<string, Set<string>>;

beforeAll(async () => {
  embedded = await startEmbeddedApp();
  const { app } = embedded.runtime;
  // One request of each class, so the HTTP histogram has series to show its labels.
  await app.inject({ url: '/healthz' });
  metrics = exported((await app.inject({ url: '/metrics' })).body);
}, 120_000);

afterAll(async () => {
  await embedded?.close();
});

describe('deploy/prometheus/alerts.yml', () => {
  it('is a rules file: named alerts with an expression, a duration, a severity and a summary', () => {
    expect(rules.length).toBeGreaterThanOrEqual(6);
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(rule.expr.trim(), rule.alert).not.toBe('');
      expect(rule.for ?? '0m', rule.alert).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
    }
  });

  it('covers the signals that matter', () => {
    const used = new Set(rules.flatMap((rule) => selectors(rule.expr).map((s) => s.metric)));
    for (const metric of [
      'namaskah_ledger_invariant_violations',
      'namaskah_verifications_stuck',
      'namaskah_webhook_attempts_recent',
      'namaskah_provider_circuit_open',
      'namaskah_provider_balance_cents',
      'namaskah_http_request_duration_seconds_count',
    ])
      expect(used).toContain(metric);
  });

  it('names only metrics, and labels, that the app exports on /metrics', () => {
    for (const rule of rules) {
      for (const { metric, labels } of selectors(rule.expr)) {
        expect(metrics.has(metric), `${rule.alert}: ${metric} is not exported`).toBe(true);
        for (const label of labels)
          expect([...metrics.get(metric)!], `${rule.alert}: ${metric} has no label ${label}`).toContain(
            label,
          );
      }
    }
  });

  it('reads selectors as Prometheus does (the checker itself can fail)', () => {
    expect(
      selectors(
        'sum by (provider) (rate(foo_total{status=~"5..", a="b"}[5m])) / clamp_min(bar, 1e-9) and baz > 0.5',
      ),
    ).toEqual([
      { metric: 'foo_total', labels: ['status', 'a'] },
      { metric: 'bar', labels: [] },
      { metric: 'baz', labels: [] },
    ]);
    expect(metrics.has('namaskah_not_a_metric')).toBe(false);
  });
});
