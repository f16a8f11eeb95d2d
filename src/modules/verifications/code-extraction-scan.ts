/**
 * The scanning passes of code extraction (see code-extraction.ts): digit normalisation, tokens,
 * words, URL/e-mail words, keyword spans, sentence breaks and the words around a position.
 * Each is one linear pass or a bounded look-around.
 */
import { KEYWORDS, SENTENCE_BREAK, STALE_BEFORE } from './code-extraction-words.js';

export interface Token {
  start: number;
  end: number;
  text: string;
  kind: 'digits' | 'letters' | 'mixed';
}

export interface Span {
  start: number;
  end: number;
  weak: boolean;
}

export function normalizeDigits(text: string): string {
  let out = '';
  let changed = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let digit = -1;
    if (c >= 0x0660 && c <= 0x0669)
      digit = c - 0x0660; // Arabic-Indic
    else if (c >= 0x06f0 && c <= 0x06f9)
      digit = c - 0x06f0; // Extended Arabic-Indic (Persian, Urdu)
    else if (c >= 0x0966 && c <= 0x096f)
      digit = c - 0x0966; // Devanagari
    else if (c >= 0xff10 && c <= 0xff19) digit = c - 0xff10; // Fullwidth
    if (digit >= 0) {
      out += String.fromCharCode(48 + digit);
      changed = true;
    } else out += text[i];
  }
  return changed ? out : text;
}

/** Lower case, keeping every index where it was (a few characters lengthen when lowered). */
export function lowerSameLength(text: string): string {
  const whole = text.toLowerCase();
  if (whole.length === text.length) return whole;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const lowered = ch.toLowerCase();
    out += lowered.length === 1 ? lowered : ch;
  }
  return out;
}

export const isDigit = (c: number) => c >= 48 && c <= 57;
export const isUpper = (c: number) => c >= 65 && c <= 90;
export const isLowerAscii = (c: number) => c >= 97 && c <= 122;
const isAsciiAlnum = (c: number) => isDigit(c) || isUpper(c) || isLowerAscii(c);
const isSpace = (ch: string | undefined) =>
  ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\u00a0';
const LETTER = /\p{L}/u;
const isLetter = (ch: string | undefined) => ch !== undefined && LETTER.test(ch);

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (!isAsciiAlnum(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let digits = 0;
    let letters = 0;
    while (i < text.length && isAsciiAlnum(text.charCodeAt(i))) {
      if (isDigit(text.charCodeAt(i))) digits++;
      else letters++;
      i++;
    }
    const kind = letters === 0 ? 'digits' : digits === 0 ? 'letters' : 'mixed';
    tokens.push({ start, end: i, text: text.slice(start, i), kind });
  }
  return tokens;
}

export interface Word {
  start: number;
  end: number;
}

export function splitWords(text: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  while (i < text.length) {
    if (isSpace(text[i])) {
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && !isSpace(text[i])) i++;
    words.push({ start, end: i });
  }
  return words;
}

/** Marks the characters of URL-like and e-mail-like words: numbers inside them are not codes. */
export function markExcludedWords(text: string, words: Word[]): Uint8Array {
  const excluded = new Uint8Array(text.length + 1);
  for (const word of words) {
    const w = text.slice(word.start, word.end);
    if (isUrlOrEmail(w)) excluded.fill(1, word.start, word.end);
  }
  return excluded;
}

function isUrlOrEmail(word: string): boolean {
  const lower = word.toLowerCase();
  if (lower.includes('://') || lower.startsWith('www.')) return true;
  const at = lower.indexOf('@');
  // WebOTP's "@host" word carries no code; an address like "user123@mail.com" neither.
  if (at >= 0 && lower.indexOf('.', at) > at) return true;
  const slash = lower.indexOf('/');
  if (slash > 0) {
    // A bare domain with a path: "v.whatsapp.com/123456", "g.co/verify".
    const host = lower.slice(0, slash);
    const dot = host.lastIndexOf('.');
    if (dot > 0) {
      const tld = host.slice(dot + 1);
      if (tld.length >= 2 && [...tld].every((ch) => ch >= 'a' && ch <= 'z')) return true;
    }
  }
  return false;
}

export function findKeywords(lower: string, serviceName: string | undefined): Span[] {
  const spans: Span[] = [];
  const addAll = (needle: string, boundary: 'both' | 'start' | 'none', weak: boolean) => {
    let from = 0;
    for (;;) {
      const at = lower.indexOf(needle, from);
      if (at < 0) break;
      from = at + 1;
      const end = at + needle.length;
      if (boundary !== 'none' && isLetter(lower[at - 1])) continue;
      if (boundary === 'both' && isLetter(lower[end])) continue;
      // "your old code 111111 has expired": that keyword points away from the current code.
      if (STALE_BEFORE.has(letterWordsBefore(lower, at)[0] ?? '')) continue;
      spans.push({ start: at, end, weak });
    }
  };
  for (const { k, b, startOnly } of KEYWORDS) addAll(k, b ? 'both' : startOnly ? 'start' : 'none', false);
  const service = serviceName?.trim().toLowerCase();
  if (service && service.length >= 3) addAll(service, 'both', true);
  return spans.sort((a, b) => a.start - b.start || b.end - a.end);
}

/** prefix[i] = number of sentence-break characters in text[0, i). */
export function prefixCount(text: string): Uint32Array {
  const prefix = new Uint32Array(text.length + 1);
  for (let i = 0; i < text.length; i++) prefix[i + 1] = prefix[i]! + (SENTENCE_BREAK.has(text[i]!) ? 1 : 0);
  return prefix;
}

/** The run of letters after `pos`, skipping at most two spaces; lowercase, at most 16 letters. */
export function letterWordAfter(lower: string, pos: number): string {
  let i = pos;
  let skipped = 0;
  while (skipped < 2 && lower[i] === ' ') {
    i++;
    skipped++;
  }
  let word = '';
  while (i < lower.length && word.length < 16 && isLetter(lower[i])) word += lower[i++];
  return isLetter(lower[i]) ? '' : word;
}

/** The two words (letters and `/`) before `pos`, skipping spaces and `:#.-№`; nearest first. */
export function letterWordsBefore(lower: string, pos: number): [string | undefined, string | undefined] {
  const result: string[] = [];
  let i = pos - 1;
  for (let n = 0; n < 2; n++) {
    let skipped = 0;
    while (i >= 0 && skipped < 4 && ' :#.-№\u00a0'.includes(lower[i]!)) {
      i--;
      skipped++;
    }
    let word = '';
    while (i >= 0 && word.length < 16 && (isLetter(lower[i]) || lower[i] === '/')) word = lower[i--] + word;
    if (word === '') break;
    result.push(word);
  }
  return [result[0], result[1]];
}
