/**
 * WAF inspection (SPEC §5): pure functions, no I/O.
 *
 * `inspect` looks at a request's path, query, headers and (parsed) body and returns the first rule
 * (rules.ts) that matches with where it matched, or null. Each value is normalised first
 * (normalisation.ts). Fields whose names say they hold secrets (password, token, otp, …) are
 * never inspected: passwords may contain any symbol, and nothing from them may reach a log line.
 *
 * The result never contains the matched value, only a rule id and a sanitised location such as
 * `query.q`, `header.user-agent` or `body.profile.name`. The JSON walk is bounded in depth, nodes
 * and characters.
 */
import {
  decodeHtmlEntities,
  decodeRepeatedly,
  removeWhitespaceAndControls,
  stripSqlComments,
} from './normalisation.js';
import { DEFAULT_SKIP_FIELDS, RULES, SECRET_NAME_PARTS, SKIPPED_HEADERS, type Where } from './rules.js';

export interface WafRequest {
  /** The request path, raw (still URL-encoded), without the query string. */
  path: string;
  /** The raw query string (without `?`) or an already parsed query object. */
  query: Record<string, unknown> | string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export interface InspectOptions {
  /** Extra field names to skip (added to the default secret-field names). */
  skipFields?: string[];
}

export interface WafMatch {
  /** `<category>.<pattern>`, e.g. `sqli.union_select`, `xss.script_tag`, `scanner.user_agent`. */
  rule: string;
  /** Where: `path`, `query.<name>`, `header.<name>`, `body.<json path>` (sanitised). */
  location: string;
}

/** Longest part of one value that is inspected. */
const MAX_VALUE_LENGTH = 16 * 1024;
/** Limits of the JSON body walk. */
const MAX_BODY_DEPTH = 12;
const MAX_BODY_NODES = 2_000;
const MAX_BODY_CHARS = 256 * 1024;

export function inspect(request: WafRequest, opts: InspectOptions = {}): WafMatch | null {
  return (
    inspectPath(request.path) ??
    inspectQuery(request.query, opts) ??
    inspectHeaders(request.headers) ??
    (request.body === undefined ? null : inspectBody(request.body, opts))
  );
}

export function inspectPath(path: string): WafMatch | null {
  if (path === '') return null;
  const rule = matchValue(path, 'path', false);
  return rule ? { rule, location: 'path' } : null;
}

export function inspectQuery(
  query: Record<string, unknown> | string,
  opts: InspectOptions = {},
): WafMatch | null {
  const skip = skipSet(opts);
  if (typeof query === 'string') {
    const raw = query.startsWith('?') ? query.slice(1) : query;
    if (raw === '') return null;
    for (const pair of raw.slice(0, MAX_BODY_CHARS).split('&')) {
      const eq = pair.indexOf('=');
      const rawKey = eq < 0 ? pair : pair.slice(0, eq);
      const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
      const key = decodeRepeatedly(rawKey.toLowerCase(), true).value;
      if (isSecretField(key, skip)) continue;
      const location = `query.${sanitizeLocation(key)}`;
      const keyRule = matchValue(rawKey, 'query', true);
      if (keyRule) return { rule: keyRule, location };
      const valueRule = matchValue(rawValue, 'query', true);
      if (valueRule) return { rule: valueRule, location };
    }
    return null;
  }
  return walk(query, 'query', 'query', skip);
}

export function inspectHeaders(headers: Record<string, string | string[] | undefined>): WafMatch | null {
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || SKIPPED_HEADERS.has(lower)) continue;
    const where: Where = lower === 'user-agent' ? 'user-agent' : 'header';
    for (const v of Array.isArray(value) ? value : [value]) {
      const rule = matchValue(v, where, false);
      if (rule) return { rule, location: `header.${sanitizeLocation(lower)}` };
    }
  }
  return null;
}

export function inspectBody(body: unknown, opts: InspectOptions = {}): WafMatch | null {
  return walk(body, 'body', 'body', skipSet(opts));
}

function walk(root: unknown, where: 'body' | 'query', prefix: string, skip: Set<string>): WafMatch | null {
  let nodes = 0;
  let chars = 0;
  const stack: Array<{ value: unknown; location: string; depth: number }> = [
    { value: root, location: prefix, depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, location, depth } = stack.pop()!;
    if (++nodes > MAX_BODY_NODES || chars > MAX_BODY_CHARS) return null;
    if (typeof value === 'string') {
      chars += value.length;
      const rule = matchValue(value, where, false);
      if (rule) return { rule, location };
      continue;
    }
    if (value === null || typeof value !== 'object' || depth >= MAX_BODY_DEPTH) continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], location: `${location}[${i}]`, depth: depth + 1 });
      }
      continue;
    }
    const entries = Object.entries(value as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      if (isSecretField(key, skip)) continue;
      const childLocation = `${location}.${sanitizeLocation(key)}`;
      chars += key.length;
      const keyRule = matchValue(key, where, false);
      if (keyRule) return { rule: keyRule, location: childLocation };
      stack.push({ value: child, location: childLocation, depth: depth + 1 });
    }
  }
  return null;
}

function matchValue(raw: string, where: Where, plusIsSpace: boolean): string | null {
  if (raw === '') return null;
  const { value, exhausted } = decodeRepeatedly(
    (raw.length > MAX_VALUE_LENGTH ? raw.slice(0, MAX_VALUE_LENGTH) : raw).toLowerCase(),
    plusIsSpace,
  );
  // Still encoded after every round: nobody encodes a URL five times but a filter-evasion attempt.
  if (exhausted && (where === 'path' || where === 'query')) return 'evasion.nested_encoding';
  const decoded = decodeHtmlEntities(value);
  let sql: string | undefined;
  let compact: string | undefined;
  for (const rule of RULES) {
    if (rule.only && !rule.only.includes(where)) continue;
    if (rule.except && rule.except.includes(where)) continue;
    let subject: string;
    if (rule.form === 'sql') subject = sql ??= stripSqlComments(decoded);
    else if (rule.form === 'compact') subject = compact ??= removeWhitespaceAndControls(decoded);
    else subject = decoded;
    if (rule.pattern.test(subject)) return rule.id;
  }
  return null;
}

function normalizeFieldName(name: string): string {
  return name.toLowerCase().replaceAll('_', '').replaceAll('-', '');
}

const DEFAULT_SKIP = new Set(DEFAULT_SKIP_FIELDS.map(normalizeFieldName));

function skipSet(opts: InspectOptions): Set<string> {
  if (!opts.skipFields || opts.skipFields.length === 0) return DEFAULT_SKIP;
  return new Set([...DEFAULT_SKIP, ...opts.skipFields.map(normalizeFieldName)]);
}

function isSecretField(name: string, skip: Set<string>): boolean {
  const normalized = normalizeFieldName(name);
  return skip.has(normalized) || SECRET_NAME_PARTS.some((part) => normalized.includes(part));
}

/** A location safe to log: at most 64 characters of `[a-z0-9_.-]`, the rest replaced. */
function sanitizeLocation(name: string): string {
  const cut = name.length > 64 ? name.slice(0, 64) : name;
  let out = '';
  for (const ch of cut) out += /[A-Za-z0-9_-]/.test(ch) ? ch : '_';
  return out;
}
