import { createHmac, timingSafeEqual } from 'node:crypto';

const HEX_SHA512 = /^[0-9a-fA-F]{128}$/;

/**
 * Checks Paystack's `x-paystack-signature`: hex HMAC-SHA512 of the exact request body bytes,
 * keyed with the secret key. Hash the raw body as received — re-serialising parsed JSON can change
 * bytes and break the signature. Hex is case-insensitive, so an upper-case header is accepted.
 * Returns false (never throws) for a missing, malformed or wrong signature.
 */
export function verifyWebhookSignature(
  rawBody: Buffer | string,
  signatureHeader: string | readonly string[] | undefined | null,
  secretKey: string,
): boolean {
  if (!secretKey) return false;
  const header = Array.isArray(signatureHeader) ? signatureHeader[0] : signatureHeader;
  if (typeof header !== 'string') return false;
  const candidate = header.trim();
  if (!HEX_SHA512.test(candidate)) return false;
  const expected = createHmac('sha512', secretKey)
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .digest();
  const given = Buffer.from(candidate, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The signature Paystack would send for these body bytes (for tests and our own fakes). */
export function signWebhookBody(rawBody: Buffer | string, secretKey: string): string {
  return createHmac('sha512', secretKey)
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .digest('hex');
}
