/**
 * The JSON shapes of TextVerified API v2 (contract §A.2 "Objects"), written from the contract:
 * `Link`, `VerificationExpanded`, `Sms`, `PaginatedData<T>`, and how request bodies and pages are
 * read. Hrefs are absolute URLs, date-times carry an explicit `+00:00` offset.
 */
import type { FastifyRequest } from 'fastify';
import { SandboxApiError } from './account.js';
import { dollars } from './money.js';
import type { SandboxSms, SandboxVerification } from './verification.js';

export const API = '/api/pub/v2';

export const iso = (d: Date) => d.toISOString().replace('Z', '+00:00');

export const link = (method: string | null, href: string | null) => ({ method, href });

/** `http://host:port/api/pub/v2`, as the client reached us. */
export const apiBase = (request: FastifyRequest) => `${request.protocol}://${request.host}${API}`;

export const verificationHref = (base: string, id: string) =>
  `${base}/verifications/${encodeURIComponent(id)}`;

export function verificationJson(
  v: SandboxVerification,
  base: string,
  now: Date,
  can: { cancel: boolean; report: boolean; reuse: boolean; reactivate: boolean },
) {
  const self = verificationHref(base, v.id);
  return {
    id: v.id,
    number: v.number,
    serviceName: v.serviceName,
    state: v.state,
    totalCost: dollars(v.totalCostCents),
    createdAt: iso(v.createdAt),
    endsAt: iso(v.endsAt),
    sms: link('GET', `${base}/sms?reservationId=${encodeURIComponent(v.id)}`),
    calls: link('GET', `${base}/calls?reservationId=${encodeURIComponent(v.id)}`),
    sale: link('GET', `${base}/sales/${encodeURIComponent(v.saleId)}`),
    cancel: { canCancel: can.cancel, link: link('POST', `${self}/cancel`) },
    report: { canReport: can.report, link: link('POST', `${self}/report`) },
    reuse: {
      link: can.reuse ? link('POST', `${self}/reuse`) : link(null, null),
      // Shown while reusable; a renewed verification, or one whose window is over, shows none.
      reusableUntil: can.reuse && v.reusableUntil ? iso(v.reusableUntil) : null,
    },
    reactivate: {
      canReactivate: can.reactivate,
      link: can.reactivate ? link('POST', `${self}/reactivate`) : link(null, null),
    },
  };
}

export function verificationCompactJson(v: SandboxVerification, base: string) {
  return {
    id: v.id,
    createdAt: iso(v.createdAt),
    link: link('GET', verificationHref(base, v.id)),
    serviceName: v.serviceName,
    state: v.state,
    totalCost: dollars(v.totalCostCents),
    number: v.number,
    sms: link('GET', `${base}/sms?reservationId=${encodeURIComponent(v.id)}`),
    calls: link('GET', `${base}/calls?reservationId=${encodeURIComponent(v.id)}`),
  };
}

export const smsJson = (m: SandboxSms) => ({
  id: m.id,
  from: m.from,
  to: m.to,
  createdAt: iso(m.createdAt),
  smsContent: m.smsContent,
  parsedCode: m.parsedCode,
  encrypted: m.encrypted,
});

export function paginate<T>(items: T[], page: number, pageSize: number, pageUrl: (page: number) => string) {
  const pages = Math.max(1, Math.ceil(items.length / pageSize));
  const current = Math.min(Math.max(1, page), pages);
  const hasNext = current < pages;
  const hasPrevious = current > 1;
  return {
    data: items.slice((current - 1) * pageSize, current * pageSize),
    hasNext,
    hasPrevious,
    count: items.length,
    links: {
      current: { method: 'GET', href: pageUrl(current) },
      previous: hasPrevious ? { method: 'GET', href: pageUrl(current - 1) } : null,
      next: hasNext ? { method: 'GET', href: pageUrl(current + 1) } : null,
    },
  };
}

/** The JSON body as an object (none = `{}`); anything else is a 400. */
export function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new SandboxApiError(400, 'BadRequest', 'The body must be a JSON object.');
  return body as Record<string, unknown>;
}

export const pageOf = (request: FastifyRequest) =>
  Number((request.query as Record<string, string>).page ?? '1') || 1;
