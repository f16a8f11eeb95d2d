/**
 * Verification-code extraction from SMS text (SPEC §4). Pure, no I/O.
 *
 * The provider's parsed code wins when it has one. Otherwise the text is scanned once into
 * tokens (runs of ASCII letters/digits), candidates are built from them (plain digits, digit groups
 * like `123-456` / `123 456`, prefixed codes like `G-123456` / `FB-12345`, WebOTP `@host #code`,
 * alphanumeric codes near a keyword), obvious non-codes are dropped (phone numbers, dates, times,
 * amounts, years, durations, URLs, e-mail addresses) and the rest are scored by their distance to a
 * code keyword in many languages (code, OTP, PIN, код, código, 验证码, رمز, कोड …).
 *
 * The word lists are in code-extraction-words.ts, the scanning passes in code-extraction-scan.ts.
 *
 * Every step is a single pass or a bounded look-around: no backtracking regular expression runs on
 * the message, so the cost is linear in its length (tested on hostile input).
 *
 * Normalisation: separators inside digit groups are removed (`123-456` → `123456`) and a letter
 * prefix is dropped (`G-123456` → `123456`, `FB-12345` → `12345`): the user types the digits.
 */
import {
  findKeywords,
  isDigit,
  isLowerAscii,
  isUpper,
  letterWordAfter,
  letterWordsBefore,
  lowerSameLength,
  markExcludedWords,
  normalizeDigits,
  prefixCount,
  type Span,
  splitWords,
  type Token,
  tokenize,
  type Word,
} from './code-extraction-scan.js';
import {
  CJK_UNIT_AFTER,
  CURRENCY_BEFORE,
  DIRECT_GAP_WORDS,
  HARD_PREFIX,
  NEGATIVE_BEFORE,
  UNIT_AFTER,
} from './code-extraction-words.js';

export interface ExtractCodeOptions {
  /** The service the number was bought for (e.g. `google`); its name counts as a weak keyword. */
  serviceName?: string;
  /** The code the provider parsed itself; used as-is (trimmed) when non-empty. */
  providerParsedCode?: string | null;
}

/** Messages longer than this are cut before scanning (an SMS is at most ~1600 characters). */
const MAX_SCAN_LENGTH = 16 * 1024;

type CandidateKind = 'prefixed' | 'webotp' | 'group' | 'digits' | 'alnum' | 'letters' | 'lower-alnum';

interface Candidate {
  start: number;
  end: number;
  code: string;
  kind: CandidateKind;
}

export function extractCode(text: string, opts: ExtractCodeOptions = {}): string | null {
  const provided = typeof opts.providerParsedCode === 'string' ? opts.providerParsedCode.trim() : '';
  if (provided !== '') return provided;
  if (typeof text !== 'string' || text.length === 0) return null;

  const source = normalizeDigits(text.length > MAX_SCAN_LENGTH ? text.slice(0, MAX_SCAN_LENGTH) : text);
  const lower = lowerSameLength(source);

  const words = splitWords(source);
  const excluded = markExcludedWords(source, words);
  const keywords = findKeywords(lower, opts.serviceName);
  const inKeyword = new Uint8Array(source.length + 1);
  for (const kw of keywords) inKeyword.fill(1, kw.start, kw.end);
  const breaks = prefixCount(source);

  const candidates = buildCandidates(source, tokenize(source), words, excluded, inKeyword);
  if (candidates.length === 0) return null;

  let best: { score: number; candidate: Candidate } | null = null;
  const fallback: Candidate[] = [];
  for (const candidate of candidates) {
    const context = assessContext(source, lower, candidate);
    if (context === 'reject') continue;
    const near = nearestKeyword(candidate, keywords, breaks, source);
    const score = scoreCandidate(candidate, context, near);
    if (score !== null && (best === null || score > best.score)) best = { score, candidate };
    if (context === 'clean' && isNumericKind(candidate.kind)) fallback.push(candidate);
  }
  if (best) return best.candidate.code;

  // No candidate near a keyword: accept a lone clean number (e.g. a message that is only "482913").
  const distinct = new Set(fallback.map((c) => c.code));
  if (distinct.size === 1) return fallback[0]!.code;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Candidates

function buildCandidates(
  text: string,
  tokens: Token[],
  words: Word[],
  excluded: Uint8Array,
  inKeyword: Uint8Array,
): Candidate[] {
  const candidates: Candidate[] = [];
  const consumed = new Uint8Array(tokens.length);
  const usable = (t: Token) =>
    excluded[t.start] === 0 && inKeyword[t.start] === 0 && inKeyword[t.end - 1] === 0;

  // Digit groups joined by one space or hyphen: "123-456", "123 456", dates, phone numbers.
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.kind !== 'digits' || consumed[i]) continue;
    let j = i;
    let separator = '';
    let mixedSeparators = false;
    while (j + 1 < tokens.length) {
      const next = tokens[j + 1]!;
      const sepChar = text[tokens[j]!.end];
      if (next.kind !== 'digits' || next.start !== tokens[j]!.end + 1 || (sepChar !== ' ' && sepChar !== '-'))
        break;
      if (separator !== '' && separator !== sepChar) mixedSeparators = true;
      separator = sepChar;
      j++;
    }
    if (j === i) continue;
    const group = tokens.slice(i, j + 1);
    for (let x = i; x <= j; x++) consumed[x] = 1;
    const totalDigits = group.reduce((n, t) => n + t.text.length, 0);
    const first = group[0]!;
    const last = group[group.length - 1]!;
    const lengths = group.map((t) => t.text.length);
    const sameLength = lengths.every((l) => l === lengths[0]);
    if (group.length === 2 && sameLength && (lengths[0] === 3 || lengths[0] === 4) && !mixedSeparators) {
      if (group.every(usable)) {
        candidates.push({ start: first.start, end: last.end, code: first.text + last.text, kind: 'group' });
      }
      continue;
    }
    // Three or more groups, "555-1234", "2024-01", "0800 123": a phone number, a date or a range.
    if (group.length >= 3 || separator === '-' || mixedSeparators) continue;
    if (Math.min(...lengths) >= 3 && totalDigits >= 7) continue;
    // Space-separated numbers of different lengths ("482910 2 attempts"): each stands alone.
    for (const t of group) pushSingle(t);
  }

  function pushSingle(t: Token) {
    if (!usable(t)) return;
    if (t.kind === 'digits' && t.text.length >= 4 && t.text.length <= 8) {
      candidates.push({ start: t.start, end: t.end, code: t.text, kind: 'digits' });
    }
  }

  let w = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    while (w < words.length && words[w]!.end <= t.start) w++;
    if (consumed[i]) continue;

    if (t.kind === 'digits') {
      // Prefixed codes: "G-123456", "FB-12345".
      const prev = tokens[i - 1];
      if (
        prev &&
        prev.kind === 'letters' &&
        prev.end + 1 === t.start &&
        text[prev.end] === '-' &&
        prev.text.length <= 3 &&
        [...prev.text].every((ch) => isUpper(ch.charCodeAt(0))) &&
        t.text.length >= 4 &&
        t.text.length <= 8 &&
        usable(t) &&
        text[t.end] !== '-'
      ) {
        candidates.push({ start: prev.start, end: t.end, code: t.text, kind: 'prefixed' });
        continue;
      }
      // WebOTP: "@example.com #123456" on its own line.
      const word = words[w];
      if (
        word &&
        word.start === t.start - 1 &&
        word.end === t.end &&
        text[word.start] === '#' &&
        w > 0 &&
        text[words[w - 1]!.start] === '@' &&
        t.text.length >= 4 &&
        t.text.length <= 10
      ) {
        candidates.push({ start: t.start, end: t.end, code: t.text, kind: 'webotp' });
        continue;
      }
      pushSingle(t);
      continue;
    }

    if (!usable(t) || t.text.length < 4 || t.text.length > 10) continue;
    let upper = 0;
    let lowerCount = 0;
    for (let c = 0; c < t.text.length; c++) {
      const code = t.text.charCodeAt(c);
      if (isUpper(code)) upper++;
      else if (isLowerAscii(code)) lowerCount++;
    }
    if (t.kind === 'mixed') {
      // A letter prefix glued to digits with a hyphen is handled above; here whole tokens only.
      if (text[t.end] === '-' || text[t.start - 1] === '-') continue;
      candidates.push({
        start: t.start,
        end: t.end,
        code: t.text,
        kind: lowerCount === 0 ? 'alnum' : 'lower-alnum',
      });
    } else if (t.kind === 'letters' && lowerCount === 0 && upper <= 8) {
      candidates.push({ start: t.start, end: t.end, code: t.text, kind: 'letters' });
    }
  }
  return candidates.sort((a, b) => a.start - b.start);
}

const isNumericKind = (kind: CandidateKind) =>
  kind === 'digits' || kind === 'group' || kind === 'prefixed' || kind === 'webotp';

/**
 * 'reject': an amount, a time, a date part, a phone fragment, a quantity.
 * 'negative': a number an "order"/"card"/"call"… word points to.
 * 'year': a plain 19xx/20xx. 'clean': nothing against it.
 */
function assessContext(text: string, lower: string, c: Candidate): 'reject' | 'negative' | 'year' | 'clean' {
  if (c.kind === 'prefixed' || c.kind === 'webotp') return 'clean';
  const before = text[c.start - 1];
  const before2 = text[c.start - 2];
  const after = text[c.end];
  const after2 = text[c.end + 1];
  if (before !== undefined && HARD_PREFIX.has(before)) return 'reject';
  if (
    before === ' ' &&
    before2 !== undefined &&
    (before2 === '+' || before2 === '$' || before2 === '€' || before2 === '£')
  ) {
    return 'reject';
  }
  if (after === '%' || (after === ' ' && after2 === '%')) return 'reject';
  // Adjacent to digits through . , : / — decimals, thousands, times, dates, fractions.
  const joiners = '.,:/';
  if (before !== undefined && joiners.includes(before) && isDigit(text.charCodeAt(c.start - 2)))
    return 'reject';
  if (after !== undefined && joiners.includes(after) && isDigit(text.charCodeAt(c.end + 1))) return 'reject';
  // Inside parentheses with digits after: "(555) 123-4567".
  if (before === '(' && after === ')') return 'reject';
  if (after !== undefined && CJK_UNIT_AFTER.has(after)) return 'reject';

  const next = letterWordAfter(lower, c.end);
  if (next !== '' && UNIT_AFTER.has(next)) return 'reject';
  const [previous, previous2] = letterWordsBefore(lower, c.start);
  if (previous !== undefined && CURRENCY_BEFORE.has(previous)) return 'reject';
  if (
    (previous !== undefined && NEGATIVE_BEFORE.has(previous)) ||
    (previous2 !== undefined &&
      NEGATIVE_BEFORE.has(previous2) &&
      (previous === 'in' ||
        previous === 'with' ||
        previous === 'is' ||
        previous === 'to' ||
        previous === 'at'))
  ) {
    return 'negative';
  }
  if (c.kind === 'digits' && c.code.length === 4 && (c.code.startsWith('19') || c.code.startsWith('20')))
    return 'year';
  return 'clean';
}

interface Nearness {
  /** Characters between candidate and keyword, plus a penalty per sentence break. */
  gap: number;
  after: boolean;
  /** Only spaces, a colon or "is" between keyword and candidate. */
  direct: boolean;
  /** Only spaces and a colon between keyword and candidate. */
  colon: boolean;
}

function nearestKeyword(c: Candidate, keywords: Span[], breaks: Uint32Array, text: string): Nearness | null {
  if (keywords.length === 0) return null;
  // Last keyword ending at or before the candidate, first one starting at or after it.
  let lo = 0;
  let hi = keywords.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keywords[mid]!.start < c.start) lo = mid + 1;
    else hi = mid;
  }
  let best: Nearness | null = null;
  const consider = (n: Nearness) => {
    if (best === null || n.gap < best.gap) best = n;
  };
  for (let k = lo - 1; k >= 0 && k >= lo - 4; k--) {
    const kw = keywords[k]!;
    if (kw.end > c.start) continue;
    const raw = c.start - kw.end;
    const gap = raw + 20 * (breaks[c.start]! - breaks[kw.end]!) + (kw.weak ? 12 : 0);
    const between = raw <= 16 ? text.slice(kw.end, c.start) : '';
    const direct = !kw.weak && raw <= 16 && isDirectGap(between);
    // \uFF1A is '：', escaped: esbuild copies a regex as written, and one non-ASCII character in
    // npm start's bundle makes V8 hold all of its source as two bytes a character.
    const colon =
      direct &&
      (between.includes(':') || between.includes('：')) &&
      between.replace(/[\s:\uFF1A]/g, '') === '';
    consider({ gap, after: true, direct, colon });
  }
  for (let k = lo; k < keywords.length && k < lo + 4; k++) {
    const kw = keywords[k]!;
    if (kw.start < c.end) continue;
    const raw = kw.start - c.end;
    consider({
      gap: raw + 20 * (breaks[kw.start]! - breaks[c.end]!) + (kw.weak ? 12 : 0) + 2,
      after: false,
      direct: false,
      colon: false,
    });
  }
  return best;
}

function isDirectGap(slice: string): boolean {
  let cleaned = '';
  for (const ch of slice) if (ch !== ' ' && ch !== ':' && ch !== '：' && ch !== '\u00a0') cleaned += ch;
  return DIRECT_GAP_WORDS.has(cleaned.toLowerCase());
}

const BASE_SCORE: Record<CandidateKind, number> = {
  prefixed: 34,
  webotp: 30,
  group: 24,
  digits: 22,
  alnum: 16,
  'lower-alnum': 12,
  letters: 10,
};

/** Candidates further than this (after break penalties) from a keyword are not picked by it. */
const MAX_GAP = 90;

function scoreCandidate(
  c: Candidate,
  context: 'negative' | 'year' | 'clean',
  near: Nearness | null,
): number | null {
  // Explicit formats stand on their own.
  if (c.kind === 'prefixed' || c.kind === 'webotp')
    return BASE_SCORE[c.kind] + (near ? Math.max(0, 40 - near.gap / 2) : 0);
  if (!near || near.gap > MAX_GAP) return null;
  // Letters-only and lowercase codes only right after "code:" / "code is".
  if ((c.kind === 'letters' || c.kind === 'lower-alnum') && !(near.after && near.direct)) return null;
  if (c.kind === 'letters' && !near.colon) return null;
  let score = BASE_SCORE[c.kind];
  if (c.kind === 'digits')
    score += c.code.length === 6 ? 2 : c.code.length === 4 || c.code.length === 5 ? 1 : 0;
  score += Math.max(0, 45 - near.gap / 2);
  if (near.after && near.direct) score += 6;
  if (context === 'negative') score -= 40;
  if (context === 'year') score -= 15;
  return score > 20 ? score : null;
}
