import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { routeErrors } from './route-errors.js';

const guard = async () => {};
const asObject = (errors: Map<number, string[]>) => Object.fromEntries(errors);

describe('routeErrors', () => {
  it('gives a public read only what every request can meet', () => {
    expect(asObject(routeErrors({ method: 'GET' }))).toEqual({
      400: ['bad_request'],
      401: ['unauthenticated'],
      403: ['forbidden', 'request_blocked'],
      429: ['rate_limited'],
      500: ['internal_error'],
      503: ['service_unavailable'],
    });
  });

  it('adds body refusals and CSRF to state changes, validation to routes with input schemas', () => {
    const errors = asObject(routeErrors({ method: 'POST', schema: { body: z.object({}) } }));
    expect(errors[400]).toEqual(['bad_request', 'validation_failed']);
    expect(errors[403]).toEqual(['csrf_failed', 'forbidden', 'request_blocked']);
    expect(errors[413]).toEqual(['payload_too_large']);
    expect(errors[415]).toEqual(['unsupported_media_type']);
    expect(asObject(routeErrors({ method: 'GET', schema: { params: z.object({}) } }))[400]).toEqual([
      'bad_request',
      'validation_failed',
    ]);
  });

  it('adds idempotency refusals and the codes a route declares, each under its status', () => {
    const errors = asObject(
      routeErrors({
        method: 'POST',
        preValidation: [guard],
        config: { idempotent: true, errors: ['insufficient_funds', 'not_found', 'price_changed'] },
      }),
    );
    expect(errors[402]).toEqual(['insufficient_funds']);
    expect(errors[404]).toEqual(['not_found']);
    expect(errors[409]).toEqual(['idempotency_key_in_use', 'price_changed']);
    expect(errors[422]).toEqual(['idempotency_key_reused']);
    expect(Object.keys(errors).map(Number)).toEqual([
      400, 401, 402, 403, 404, 409, 413, 415, 422, 429, 500, 503,
    ]);
  });

  it('leaves authentication refusals to a guard on a route that checks its own credential', () => {
    expect(asObject(routeErrors({ method: 'GET', config: { ownCredential: true } }))).toMatchObject({
      403: ['request_blocked'],
    });
    expect(asObject(routeErrors({ method: 'GET', config: { ownCredential: true } }))[401]).toBeUndefined();
    expect(
      asObject(routeErrors({ method: 'GET', preValidation: guard, config: { ownCredential: true } })),
    ).toMatchObject({ 401: ['unauthenticated'], 403: ['forbidden', 'request_blocked'] });
  });
});
