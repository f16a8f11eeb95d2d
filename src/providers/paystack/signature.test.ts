import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseMinorUnits } from './amounts.js';
import { PaystackError } from './errors.js';
import { signWebhookBody, verifyWebhookSignature } from './signature.js';
import { parseWebhookEvent } from './webhook.js';

const SECRET = 'sk_test_signature_suite';
const body = Buffer.from(
  '{"event":"charge.success","data":{"reference":"r-1","amount":"20000","currency":"NGN"}}',
);
const good = createHmac('sha512', SECRET).update(body).digest('hex');

describe('verifyWebhookSignature', () => {
  it('accepts the hex HMAC-SHA512 of the exact bytes, as Buffer or string', () => {
    expect(signWebhookBody(body, SECRET)).toBe(good);
    expect(verifyWebhookSignature(body, good, SECRET)).toBe(true);
    expect(verifyWebhookSignature(body.toString('utf8'), good, SECRET)).toBe(true);
    expect(verifyWebhookSignature(body, [good], SECRET)).toBe(true);
  });

  it('accepts upper-case hex (same bytes) and surrounding whitespace', () => {
    expect(verifyWebhookSignature(body, good.toUpperCase(), SECRET)).toBe(true);
    expect(verifyWebhookSignature(body, ` ${good} `, SECRET)).toBe(true);
  });

  it('rejects a tampered body, even a whitespace change that parses to the same JSON', () => {
    expect(verifyWebhookSignature(Buffer.from(body.toString().replace('20000', '90000')), good, SECRET)).toBe(
      false,
    );
    const reserialized = JSON.stringify(JSON.parse(body.toString()), null, 1);
    expect(verifyWebhookSignature(reserialized, good, SECRET)).toBe(false);
  });

  it('rejects a wrong key, missing, empty, wrong-length and non-hex signatures', () => {
    expect(verifyWebhookSignature(body, good, 'sk_test_other')).toBe(false);
    expect(verifyWebhookSignature(body, undefined, SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, null, SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, '', SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, [], SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, good.slice(0, 64), SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, `${good}00`, SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, `${good.slice(0, 127)}z`, SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, Buffer.from(good, 'hex').toString('base64'), SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, `sha512=${good}`, SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, good, '')).toBe(false);
  });
});

describe('parseWebhookEvent', () => {
  it('parses a charge event with a string amount to integer subunits', () => {
    expect(parseWebhookEvent(body)).toMatchObject({
      event: 'charge.success',
      reference: 'r-1',
      amountMinor: 20000,
      currency: 'NGN',
    });
  });

  it('reads refund events through transaction_reference and numeric ids', () => {
    const event = parseWebhookEvent(
      JSON.stringify({
        event: 'refund.processed',
        data: { id: 1234, status: 'processed', transaction_reference: 'r-2', amount: 10000, currency: 'NGN' },
      }),
    );
    expect(event).toMatchObject({ reference: 'r-2', id: '1234', amountMinor: 10000, status: 'processed' });
  });

  it('is safe with odd field types', () => {
    const event = parseWebhookEvent(
      '{"event":"charge.success","data":{"amount":"12.50","reference":7,"id":{"x":1}}}',
    );
    expect(event).toMatchObject({
      amountMinor: null,
      reference: null,
      id: null,
      currency: null,
      status: null,
    });
  });

  it('throws a validation PaystackError for bodies that are not events', () => {
    for (const bad of [
      'not json',
      '[]',
      'null',
      '{"event":1,"data":{}}',
      '{"event":"x","data":[]}',
      '{"event":"x"}',
    ]) {
      expect(() => parseWebhookEvent(bad)).toThrowError(PaystackError);
    }
  });
});

describe('parseMinorUnits', () => {
  it('accepts integers given as numbers or digit strings, refuses everything else', () => {
    expect(parseMinorUnits(20000)).toBe(20000);
    expect(parseMinorUnits('20000')).toBe(20000);
    expect(parseMinorUnits(' 0 ')).toBe(0);
    for (const bad of [
      12.5,
      -1,
      '12.50',
      '-5',
      '1e3',
      '',
      'abc',
      null,
      undefined,
      {},
      Number.NaN,
      2 ** 53,
      '9999999999999999',
    ]) {
      expect(parseMinorUnits(bad)).toBeNull();
    }
  });
});
