/**
 * How the WAF normalises a value before matching (SPEC §5): URL-decoded a bounded number of times
 * (so `%2e%2e%2f` and `%252e%252e%252f` are seen as `../`, overlong UTF-8 and `%u` forms too),
 * HTML entities decoded, and for some rules SQL comments removed or all whitespace dropped.
 * Every function is a single linear pass.
 */

/** How many times a value is URL-decoded (catches double and triple encoding). */
const MAX_DECODE_ROUNDS = 4;

/** URL-decodes up to MAX_DECODE_ROUNDS times (overlong and %u forms too); `exhausted` when it could go on. */
export function decodeRepeatedly(lower: string, plusIsSpace: boolean): { value: string; exhausted: boolean } {
  let current = plusIsSpace ? lower.replaceAll('+', ' ') : lower;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    if (!current.includes('%')) return { value: current, exhausted: false };
    const next = percentDecode(current).toLowerCase();
    if (next === current) return { value: current, exhausted: false };
    current = next;
  }
  return { value: current, exhausted: current.includes('%') && percentDecode(current) !== current };
}

const OVERLONG: ReadonlyArray<[string, string]> = [
  ['%c0%ae', '.'],
  ['%e0%80%ae', '.'],
  ['%c0%af', '/'],
  ['%e0%80%af', '/'],
  ['%c1%9c', '\\'],
  ['%c1%1c', '\\'],
];

function percentDecode(s: string): string {
  let input = s;
  for (const [from, to] of OVERLONG) if (input.includes(from)) input = input.replaceAll(from, to);
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8');
      bytes = [];
    }
  };
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '%') {
      if (input[i + 1] === 'u' && isHex(input, i + 2, 4)) {
        flush();
        out += String.fromCharCode(parseInt(input.slice(i + 2, i + 6), 16));
        i += 5;
        continue;
      }
      if (isHex(input, i + 1, 2)) {
        bytes.push(parseInt(input.slice(i + 1, i + 3), 16));
        i += 2;
        continue;
      }
    }
    flush();
    out += ch;
  }
  flush();
  return out;
}

function isHex(s: string, from: number, count: number): boolean {
  if (from + count > s.length) return false;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i);
    const hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
    if (!hex) return false;
  }
  return true;
}

const NAMED_ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  amp: '&',
  colon: ':',
  tab: '\t',
  newline: '\n',
  sol: '/',
  lpar: '(',
  rpar: ')',
};

/** Decodes `&lt;`, `&#60;`, `&#x3c;` (with or without `;`) — a single pass, linear. */
export function decodeHtmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch !== '&') {
      out += ch;
      continue;
    }
    let j = i + 1;
    let decoded: string | undefined;
    if (s[j] === '#') {
      j++;
      const hex = s[j] === 'x';
      if (hex) j++;
      const start = j;
      while (
        j < s.length &&
        j - start < 8 &&
        (hex ? isHex(s, j, 1) : s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57)
      )
        j++;
      if (j > start) {
        const code = parseInt(s.slice(start, j), hex ? 16 : 10);
        if (code > 0 && code <= 0x10ffff) decoded = String.fromCodePoint(code);
      }
    } else {
      const start = j;
      while (j < s.length && j - start < 8 && s.charCodeAt(j) >= 97 && s.charCodeAt(j) <= 122) j++;
      const name = s.slice(start, j);
      if (Object.hasOwn(NAMED_ENTITIES, name) && s[j] === ';') decoded = NAMED_ENTITIES[name];
    }
    if (decoded === undefined) {
      out += ch;
      continue;
    }
    if (s[j] === ';') j++;
    out += decoded.toLowerCase();
    i = j - 1;
  }
  return out;
}

/** Replaces `/* … *\/` comments by a space; keeps the body of MySQL `/*!50000 … *\/` comments. */
export function stripSqlComments(s: string): string {
  if (!s.includes('/*')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('/*', i);
    if (open < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, open) + ' ';
    if (s[open + 2] === '!') {
      let j = open + 3;
      while (j < s.length && j - open < 9 && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
      i = j;
      continue;
    }
    const close = s.indexOf('*/', open + 2);
    if (close < 0) break;
    i = close + 2;
  }
  return out.replaceAll('*/', ' ');
}

export function removeWhitespaceAndControls(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) continue;
    out += s[i];
  }
  return out;
}
