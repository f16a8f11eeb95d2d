/**
 * TextVerified auth: `POST /api/pub/v2/auth` with `X-API-KEY`/`X-API-USERNAME`; the bearer token is
 * cached until shortly before it expires, concurrent callers share one in-flight auth, and a 401 on
 * a call re-authenticates once and repeats that call.
 */
import { TextVerifiedError } from './errors.js';
import type { Operation, RawResponse, Transport } from './transport.js';
import type { WireBearerToken } from './types.js';

const TOKEN_REFRESH_MARGIN_MS = 60_000;

interface CachedToken {
  token: string;
  refreshAtMs: number;
  /** Increases with every auth, so a 401 only drops the token that was actually refused. */
  generation: number;
}

/** `request` sends an operation with the bearer token when it needs one. */
export function createAuthenticatedRequest(
  transport: Pick<Transport, 'url' | 'send'>,
  options: { apiKey: string; username: string; now?: () => Date },
) {
  const { url, send } = transport;
  const nowMs = () => (options.now ? options.now().getTime() : Date.now());

  let cached: CachedToken | null = null;
  let inflight: Promise<CachedToken> | null = null;
  let generation = 0;

  async function authenticate(): Promise<CachedToken> {
    const requestedAt = nowMs();
    const res = await send(
      {
        method: 'POST',
        url: url('/auth'),
        headers: { 'X-API-KEY': options.apiKey, 'X-API-USERNAME': options.username },
        write: false,
        auth: false,
        what: 'auth',
      },
      undefined,
    );
    const body = res.json as Partial<WireBearerToken> | null;
    if (!body || typeof body.token !== 'string' || body.token.length === 0) {
      throw new TextVerifiedError('server_error', 'TextVerified auth: no token in response');
    }
    let expiresAtMs = body.expiresAt ? new Date(body.expiresAt).getTime() : Number.NaN;
    if (Number.isNaN(expiresAtMs) && typeof body.expiresIn === 'number')
      expiresAtMs = requestedAt + body.expiresIn * 1000;
    if (Number.isNaN(expiresAtMs)) expiresAtMs = requestedAt + 5 * 60_000;
    const lifetime = Math.max(0, expiresAtMs - requestedAt);
    const margin = Math.min(TOKEN_REFRESH_MARGIN_MS, lifetime / 2);
    generation += 1;
    cached = { token: body.token, refreshAtMs: expiresAtMs - margin, generation };
    return cached;
  }

  function getToken(): Promise<CachedToken> {
    if (cached && nowMs() < cached.refreshAtMs) return Promise.resolve(cached);
    if (!inflight) {
      inflight = authenticate().finally(() => {
        inflight = null;
      });
    }
    return inflight;
  }

  async function request(op: Operation): Promise<RawResponse> {
    if (!op.auth) return send(op, undefined);
    const used = await getToken();
    try {
      return await send(op, used.token);
    } catch (error) {
      if (error instanceof TextVerifiedError && error.status === 401) {
        if (cached?.generation === used.generation) cached = null;
        return send(op, (await getToken()).token);
      }
      throw error;
    }
  }

  const getJson = async <T>(what: string, target: string): Promise<T> =>
    (await request({ method: 'GET', url: target, write: false, auth: true, what })).json as T;

  return { request, getJson };
}
