import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TextVerifiedError } from './errors.js';
import { parseWebhookEvent, signWebhookBody, verifyWebhookSignature } from './webhook.js';

const secret = 'whsec_test_secret';
const body = JSON.stringify({
  id: 'whe_1',
  event: 'v2.sms.received',
  occurredAt: '2026-11-25T10:00:00+00:00',
  attempt: 2,
  idempotencyKey: 'idem_1',
  data: {
    from: '+14155238886',
    to: '4155550123',
    createdAt: '2026-11-25T09:59:59+00:00',
    smsContent: "Your WhatsApp code is 123-456. Don't share this code with others",
    parsedCode: '123456',
    encrypted: false,
    reservationId: 'ver_abc',
  },
});

describe('verifyWebhookSignature', () => {
  const header = `HMAC-SHA512=${createHmac('sha512', secret).update(body).digest('base64')}`;

  it('accepts the HMAC-SHA512 base64 of the raw body (string or Buffer)', () => {
    expect(verifyWebhookSignature(body, header, secret)).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body), header, secret)).toBe(true);
    expect(verifyWebhookSignature(body, [header], secret)).toBe(true);
    expect(signWebhookBody(body, secret)).toBe(header);
  });

  it('rejects a tampered body, a wrong secret, a wrong prefix, hex, and no header', () => {
    expect(verifyWebhookSignature(body.replace('123456', '654321'), header, secret)).toBe(false);
    expect(verifyWebhookSignature(body, header, 'whsec_other')).toBe(false);
    expect(verifyWebhookSignature(body, header.replace('HMAC-SHA512=', 'HMAC-SHA256='), secret)).toBe(false);
    expect(verifyWebhookSignature(body, header.replace('HMAC-SHA512=', ''), secret)).toBe(false);
    const hex = `HMAC-SHA512=${createHmac('sha512', secret).update(body).digest('hex')}`;
    expect(verifyWebhookSignature(body, hex, secret)).toBe(false);
    expect(verifyWebhookSignature(body, undefined, secret)).toBe(false);
    expect(verifyWebhookSignature(body, 'HMAC-SHA512=', secret)).toBe(false);
    expect(verifyWebhookSignature(body, header, '')).toBe(false);
  });
});

describe('parseWebhookEvent', () => {
  it('reads a camelCase v2.sms.received', () => {
    const event = parseWebhookEvent(body);
    expect(event.type).toBe('sms.received');
    if (event.type !== 'sms.received') throw new Error('unreachable');
    expect(event).toMatchObject({
      id: 'whe_1',
      event: 'v2.sms.received',
      attempt: 2,
      idempotencyKey: 'idem_1',
      dedupeKey: 'idem_1',
    });
    expect(event.occurredAt?.toISOString()).toBe('2026-11-25T10:00:00.000Z');
    expect(event.sms).toEqual({
      from: '+14155238886',
      to: '4155550123',
      createdAt: new Date('2026-11-25T09:59:59Z'),
      text: "Your WhatsApp code is 123-456. Don't share this code with others",
      parsedCode: '123456',
      encrypted: false,
      reservationId: 'ver_abc',
    });
  });

  it('reads the same event in PascalCase', () => {
    const pascal = JSON.stringify({
      Id: 'whe_2',
      Event: 'v2.sms.received',
      OccurredAt: '2026-11-25T10:00:00Z',
      Attempt: 1,
      Data: {
        From: null,
        To: '4155550123',
        CreatedAt: '2026-11-25T10:00:00Z',
        SmsContent: 'Code 9876',
        ParsedCode: '9876',
        Encrypted: false,
        ReservationId: 'ver_x',
      },
    });
    const event = parseWebhookEvent(Buffer.from(pascal));
    if (event.type !== 'sms.received') throw new Error(`wrong type ${event.type}`);
    expect(event.dedupeKey).toBe('whe_2'); // no idempotencyKey in the older envelope
    expect(event.sms).toMatchObject({
      from: null,
      text: 'Code 9876',
      parsedCode: '9876',
      reservationId: 'ver_x',
    });
  });

  it('reads reservation.created and passes unknown events through', () => {
    const created = parseWebhookEvent(
      JSON.stringify({
        id: 'e',
        event: 'v2.reservation.created',
        data: { id: 'ver_1', type: 'verification' },
      }),
    );
    expect(created).toMatchObject({
      type: 'reservation.created',
      reservation: { id: 'ver_1', type: 'verification' },
    });
    const other = parseWebhookEvent(JSON.stringify({ event: 'v2.test', data: { hello: 1 } }));
    expect(other).toMatchObject({ type: 'other', event: 'v2.test', data: { hello: 1 }, attempt: 1 });
  });

  it('refuses bodies that are not events', () => {
    expect(() => parseWebhookEvent('not json')).toThrow(TextVerifiedError);
    expect(() => parseWebhookEvent('[]')).toThrow(TextVerifiedError);
    expect(() => parseWebhookEvent('{"data":{}}')).toThrow(/no event/);
  });
});
