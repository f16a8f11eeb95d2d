import { describe, expect, it } from 'vitest';
import { AppError, providerUnavailable } from '../errors.js';
import { describeError } from './error-handler.js';

describe('describeError', () => {
  it('every 503 says when to retry: the provider being down as much as the database', () => {
    const provider = describeError(providerUnavailable());
    expect(provider.status).toBe(503);
    expect(provider.headers).toEqual({ 'retry-after': '5' });
    expect(provider.body.error.code).toBe('provider_unavailable');
  });

  it('a 503 that knows its own wait keeps it; other statuses get no Retry-After', () => {
    const known = new AppError(503, 'service_unavailable', 'Busy.', undefined, { 'retry-after': '30' });
    expect(describeError(known).headers).toEqual({ 'retry-after': '30' });
    expect(describeError(new AppError(409, 'already_completed', 'Done.')).headers).toBeUndefined();
  });

  it("a plugin's or Fastify's client error gets the code of its status", () => {
    const codeOf = (statusCode: number, code?: string) =>
      describeError(Object.assign(new Error('Forbidden'), { statusCode, code })).body.error.code;
    expect(codeOf(403)).toBe('forbidden'); // @fastify/static on a directory
    expect(codeOf(404)).toBe('not_found');
    expect(codeOf(413)).toBe('payload_too_large');
    expect(codeOf(415)).toBe('unsupported_media_type');
    expect(codeOf(429)).toBe('rate_limited');
    expect(codeOf(400)).toBe('bad_request');
    expect(codeOf(500)).toBe('internal_error');
  });
});
