/**
 * Security headers on every response (SPEC §5): strict CSP (no inline script), HSTS, nosniff,
 * Referrer-Policy, Permissions-Policy, COOP, frame denial; no `X-Powered-By`; JSON answers are
 * never cached. Set by hand rather than with @fastify/helmet: one static `onSend` hook is cheaper
 * than helmet's per-request middleware and also covers early refusals. `onSend` runs for every reply, errors, 404s and early refusals (WAF, rate limits)
 * included. A header a route set itself is left alone, so one route may relax its own CSP.
 */
import type { FastifyInstance } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  'cross-origin-opener-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

const ENTRIES = Object.entries(SECURITY_HEADERS);

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of ENTRIES) {
      if (!reply.hasHeader(name)) void reply.header(name, value);
    }
    if (reply.hasHeader('x-powered-by')) void reply.removeHeader('x-powered-by');
    if (!reply.hasHeader('cache-control')) {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('application/json'))
        void reply.header('cache-control', 'no-store');
    }
    return payload;
  });
}
