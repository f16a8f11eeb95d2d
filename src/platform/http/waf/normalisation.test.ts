/** The decoders the WAF runs before matching (normalisation.ts), on their own. */
import { describe, expect, it } from 'vitest';
import {
  decodeHtmlEntities,
  decodeRepeatedly,
  removeWhitespaceAndControls,
  stripSqlComments,
} from './normalisation.js';

describe('decodeRepeatedly', () => {
  it.each([
    ['%2e%2e%2f', '../'],
    ['%252e%252e%252f', '../'],
    ['%25252e%25252e%25252f', '../'],
    ['%c0%ae%c0%ae%c0%af', '../'],
    ['%e0%80%ae%e0%80%ae%e0%80%af', '../'],
    ['%u003cscript%u003e', '<script>'],
    ['caf%c3%a9', 'café'],
    ['%3cscript%3e', '<script>'],
  ])('decodes %s to %s', (input, expected) => {
    expect(decodeRepeatedly(input, false)).toEqual({ value: expected, exhausted: false });
  });

  it('reads + as a space only in query strings', () => {
    expect(decodeRepeatedly('a+b%2bc', true).value).toBe('a b+c');
    expect(decodeRepeatedly('a+b%2bc', false).value).toBe('a+b+c');
  });

  it('leaves text that is not percent-encoding as it is', () => {
    expect(decodeRepeatedly('50% off', false)).toEqual({ value: '50% off', exhausted: false });
    expect(decodeRepeatedly('%zz%4', false)).toEqual({ value: '%zz%4', exhausted: false });
  });

  it('says when a value is still encoded after every round', () => {
    const fourTimes = '%2525252e';
    const fiveTimes = '%252525252e';
    expect(decodeRepeatedly(fourTimes, false)).toEqual({ value: '.', exhausted: false });
    expect(decodeRepeatedly(fiveTimes, false)).toEqual({ value: '%2e', exhausted: true });
  });
});

describe('decodeHtmlEntities', () => {
  it.each([
    ['&lt;script&gt;', '<script>'],
    ['&#60;script&#62;', '<script>'],
    ['&#x3c;script&#x3e;', '<script>'],
    ['&#60script&#62', '<script>'],
    ['javascript&colon;alert&lpar;1&rpar;', 'javascript:alert(1)'],
    ['&#x41;', 'a'],
  ])('decodes %s to %s', (input, expected) => {
    expect(decodeHtmlEntities(input)).toBe(expected);
  });

  it('keeps unknown, unterminated and out-of-range entities as text', () => {
    expect(decodeHtmlEntities('AT&T & Q&A')).toBe('AT&T & Q&A');
    expect(decodeHtmlEntities('&lt no semicolon')).toBe('&lt no semicolon');
    expect(decodeHtmlEntities('&#0; &#x110000;')).toBe('&#0; &#x110000;');
  });
});

describe('stripSqlComments', () => {
  it('replaces inline comments by a space', () => {
    expect(stripSqlComments('union/**/select/* x */1')).toBe('union select 1');
  });

  it('keeps the body of MySQL versioned comments', () => {
    expect(stripSqlComments('/*!50000union*/ /*!select*/')).toBe(' union   select ');
  });

  it('drops an unterminated comment to the end', () => {
    expect(stripSqlComments("' or 1=1 /* rest")).toBe("' or 1=1  ");
  });
});

describe('removeWhitespaceAndControls', () => {
  it('drops spaces, tabs, newlines, other controls and DEL', () => {
    expect(removeWhitespaceAndControls('java\tscript :\n\u0000al\u007fert')).toBe('javascript:alert');
  });
});
