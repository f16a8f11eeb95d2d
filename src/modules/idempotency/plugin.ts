import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { batched } from '../../platform/db/batching.js';
import type { Db } from '../../platform/db/database.js';
import { AppError, validationFailed } from '../../platform/errors.js';
import { uncountRouteRateLimits } from '../../platform/http/rate-limit.js';
import { type AppSecrets, createSealer } from '../accounts/index.js';
import { fingerprint, isValidKey, MAX_KEY_LENGTH, shouldStoreResponse } from './domain.js';
import * as store from './store.js';
import { SEALED_RESPONSES } from './schema.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route accepts `Idempotency-Key` with Stripe semantics (money-moving POSTs). `'sealed'`:
     * its answer holds a secret shown once (a new API key), so the stored copy is encrypted.
     */
    idempotent?: boolean | 'sealed';
  }
  interface FastifyRequest {
    /** Set when this request holds an idempotency key; handlers derive their own keys from it. */
    idempotencyKey: string | null;
  }
}

interface Claim {
  principal: string;
  key: string;
}

const claims = new WeakMap<FastifyRequest, Claim>();
const renewals = new WeakMap<FastifyRequest, NodeJS.Timeout>();
const REPLAYED_HEADERS = ['content-type', 'location'];

export interface IdempotencyOptions {
  db: Db;
  ttlHours: number;
  /** Seals the stored answers of `idempotent: 'sealed'` routes (a key derived from it). */
  secrets: AppSecrets;
  /**
   * How long a key outlives the last sign of life of the request holding it. The request renews it
   * while it runs, so only a crashed process lets it lapse: a retry waits this long at most.
   */
  leaseSeconds?: number;
}

/**
 * Stripe-style idempotency on routes that opt in with `config: { idempotent: true }`. Runs after
 * authentication and validation, so a validation failure never touches the key.
 */
const DEFAULT_LEASE_SECONDS = 10;

/**
 * 409 for a key held by a request that may still be running; a retry of it is no new attempt, so
 * it costs no rate limit. `Retry-After` says when the holder's lease lapses if it has died.
 */
async function keyInUse(request: FastifyRequest, message: string, retryAfterSeconds = 1): Promise<never> {
  await uncountRouteRateLimits(request);
  throw new AppError(409, 'idempotency_key_in_use', message, undefined, {
    'retry-after': String(retryAfterSeconds),
  });
}

function secondsUntil(moment: Date, atMost: number): number {
  return Math.min(atMost, Math.max(1, Math.ceil((moment.getTime() - Date.now()) / 1000)));
}

export function registerIdempotency(app: FastifyInstance, options: IdempotencyOptions): void {
  const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const responses = createSealer(options.secrets, SEALED_RESPONSES.purpose);
  const sealed = (request: FastifyRequest) => request.routeOptions.config.idempotent === 'sealed';
  // Every idempotent request claims its key and stores its answer: batched together, they cost one
  // statement per turn of the event loop rather than two per request.
  const step = batched((steps: readonly store.KeyStep[]) =>
    store.applyKeySteps(options.db, steps, leaseSeconds),
  );
  const claim = async (input: store.ClaimInput) => (await step({ claim: input })) === true;
  const complete = (answer: store.StoredAnswer) => step({ answer });
  app.decorateRequest('idempotencyKey', null);

  app.addHook('preHandler', async (request, reply) => {
    if (!request.routeOptions.config.idempotent) return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined || !isValidKey(key)) {
      throw validationFailed(`Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters.`);
    }
    // Keys are per caller: two users can never collide or read each other's stored responses.
    // Money-moving routes all need a caller; without one the route's guard refuses the request.
    if (!request.principal) return;
    const principal = `user:${request.principal.userId}`;
    const print = fingerprint(request.method, request.url, request.body);
    const claimed =
      (await claim({ principal, key, fingerprint: print })) ||
      ((await store.deleteIfExpired(options.db, principal, key, options.ttlHours)) &&
        (await claim({ principal, key, fingerprint: print })));
    if (!claimed) {
      const existing = await store.find(options.db, principal, key);
      if (!existing) return keyInUse(request, 'This Idempotency-Key is being used; retry shortly.');
      if (existing.fingerprint !== print) {
        throw new AppError(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was already used with a different request; use a new key.',
        );
      }
      if (existing.status === 'completed') {
        const body = existing.responseBody ?? '';
        return replay(reply, existing, sealed(request) ? responses.open(body) : body);
      }
      if (!(await store.takeOverAbandoned(options.db, principal, key, leaseSeconds))) {
        return keyInUse(
          request,
          'A request with this Idempotency-Key is still in progress.',
          secondsUntil(existing.leaseExpiresAt, leaseSeconds),
        );
      }
    }
    claims.set(request, { principal, key });
    // Signs of life: a few renewals per lease, so one slow renewal does not let the key lapse.
    const renewal = setInterval(
      () => {
        store.renewLease(options.db, principal, key, leaseSeconds).catch((error: unknown) => {
          request.log.warn({ err: error }, 'idempotency key lease renewal failed');
        });
      },
      (leaseSeconds * 1000) / 3,
    );
    renewal.unref();
    renewals.set(request, renewal);
    request.idempotencyKey = key;
  });

  const stopRenewal = (request: FastifyRequest) => {
    clearInterval(renewals.get(request));
    renewals.delete(request);
  };
  // Whatever way the request ends (an aborted one may skip onSend).
  app.addHook('onResponse', async (request) => stopRenewal(request));
  app.addHook('onRequestAbort', async (request) => stopRenewal(request));

  app.addHook('onSend', async (request, reply, payload) => {
    stopRenewal(request);
    const held = claims.get(request);
    if (!held) return payload;
    claims.delete(request);
    const body =
      typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
    try {
      if (body !== null && shouldStoreResponse(reply.statusCode, errorCodeOf(body))) {
        const headers: Record<string, string> = {};
        for (const name of REPLAYED_HEADERS) {
          const value = reply.getHeader(name);
          if (value !== undefined) headers[name] = String(value);
        }
        await complete({
          principal: held.principal,
          key: held.key,
          status: reply.statusCode,
          body: sealed(request) ? responses.seal(body) : body,
          headers,
        });
      } else {
        await store.releaseKey(options.db, held.principal, held.key);
      }
    } catch (error) {
      // The database went away (a 503 is usually why): the answer stands, not a 500 in its place.
      // The key's lease runs out, and a retry takes it over and finds what the first attempt did.
      request.log.warn({ err: error }, 'idempotency key not recorded');
    }
    return payload;
  });
}

function replay(reply: FastifyReply, record: store.IdempotencyRecord, body: string) {
  void reply.headers({ ...(record.responseHeaders ?? {}), 'idempotent-replayed': 'true' });
  return reply.status(record.responseStatus ?? 200).send(body);
}

function errorCodeOf(body: string): string | undefined {
  if (!body.startsWith('{"error"')) return undefined;
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}
