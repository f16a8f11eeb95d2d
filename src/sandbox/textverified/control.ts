/**
 * The test-only control of the TextVerified sandbox: the in-process `control` object and the same
 * operations over HTTP under `/_control/`. Tests use it to deliver SMS, end windows, set stock and
 * balance, inject faults and read what the sandbox saw and sent.
 */
import type { FastifyInstance } from 'fastify';
import { SandboxApiError, type SandboxAccount } from './account.js';
import type { BearerTokens } from './auth.js';
import type { FaultMode, FaultSpec, RequestLogEntry, SandboxFaults } from './faults.js';
import type { SandboxState } from './state.js';
import type { SandboxSms, SandboxVerification } from './verification.js';
import type { WebhookAttemptLog, WebhookSender } from './webhooks.js';
import { bodyOf, smsJson } from './wire.js';

export interface SandboxVerificationSnapshot {
  id: string;
  number: string;
  serviceName: string;
  state: string;
  totalCostCents: number;
  createdAt: Date;
  endsAt: Date;
  sms: SandboxSms[];
  mock: boolean;
}

export interface TextVerifiedSandboxControl {
  /** Delivers an SMS now (service template + fresh code unless `text`/`code` given); sends the webhook. */
  deliverSms(
    verificationId: string,
    opts?: { text?: string; code?: string; from?: string; to?: string },
  ): SandboxSms;
  /** Ends the verification window now (pending → timed out, refunded). */
  expire(verificationId: string): SandboxVerificationSnapshot;
  /** Ends a completed verification's reuse window now (reactivation is offered from then on). */
  endReuseWindow(verificationId: string): SandboxVerificationSnapshot;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  setStock(serviceName: string, stock: number): void;
  setBalance(cents: number): void;
  getBalance(): number;
  /** Makes `POST /verifications` take this long (shows 409 IdempotencyConflict for concurrent same-key calls). */
  setCreateLatency(ms: number): void;
  setWebhook(url: string | null, secret?: string): void;
  /** Invalidates every issued bearer token (next call gets 401). */
  expireTokens(): void;
  verification(id: string): SandboxVerificationSnapshot | undefined;
  /** Every webhook delivery attempt, oldest first. */
  webhooks(): WebhookAttemptLog[];
  /** Every request to `/api/pub/v2/…`, oldest first. */
  requests(): RequestLogEntry[];
  clearRequests(): void;
}

export interface ControlDeps {
  state: SandboxState;
  account: SandboxAccount;
  faults: SandboxFaults;
  tokens: BearerTokens;
  webhooks: WebhookSender;
  setWebhook(url: string | null, secret?: string): void;
}

const snapshot = (v: SandboxVerification): SandboxVerificationSnapshot => ({
  id: v.id,
  number: v.number,
  serviceName: v.serviceName,
  state: v.state,
  totalCostCents: v.totalCostCents,
  createdAt: v.createdAt,
  endsAt: v.endsAt,
  sms: [...v.sms],
  mock: v.mock,
});

export function createControl(deps: ControlDeps): TextVerifiedSandboxControl {
  const { state, account, faults } = deps;
  return {
    deliverSms: (id, opts) => state.deliverSms(id, opts),
    expire: (id) => snapshot(state.expire(id)),
    endReuseWindow: (id) => snapshot(state.endReuseWindow(id)),
    injectFault: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    setStock: (name, stock) => account.setStock(name, stock),
    setBalance(cents) {
      if (!Number.isSafeInteger(cents))
        throw new SandboxApiError(400, 'BadRequest', 'balance must be integer cents.');
      account.balanceCents = cents;
    },
    getBalance: () => account.balanceCents,
    setCreateLatency(ms) {
      state.createLatencyMs = Math.max(0, ms);
    },
    setWebhook: (url, secret) => deps.setWebhook(url, secret),
    expireTokens: () => deps.tokens.clear(),
    verification(id) {
      const v = state.verifications.get(id);
      return v ? snapshot(state.refresh(v)) : undefined;
    },
    webhooks: () => [...deps.webhooks.log],
    requests: () => faults.requests(),
    clearRequests: () => faults.clearRequests(),
  };
}

const num = (value: unknown, field: string): number => {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new SandboxApiError(400, 'BadRequest', `${field} must be a number.`);
  return value;
};

/** The control over HTTP, under `/_control/`. */
export function registerControlRoutes(app: FastifyInstance, control: TextVerifiedSandboxControl): void {
  void app.register(
    async (ctl) => {
      ctl.post('/verifications/:id/sms', async (request, reply) => {
        const body = bodyOf(request);
        const sms = control.deliverSms((request.params as { id: string }).id, {
          text: typeof body.text === 'string' ? body.text : undefined,
          code: typeof body.code === 'string' ? body.code : undefined,
          from: typeof body.from === 'string' ? body.from : undefined,
          to: typeof body.to === 'string' ? body.to : undefined,
        });
        return reply.code(201).send(smsJson(sms));
      });
      ctl.post('/verifications/:id/expire', async (request) =>
        control.expire((request.params as { id: string }).id),
      );
      ctl.post('/verifications/:id/end-reuse-window', async (request) =>
        control.endReuseWindow((request.params as { id: string }).id),
      );
      ctl.get('/verifications/:id', async (request) => {
        const v = control.verification((request.params as { id: string }).id);
        if (!v) throw new SandboxApiError(404, 'NotFound', 'No such verification.');
        return v;
      });
      ctl.post('/faults', async (request, reply) => {
        const body = bodyOf(request);
        if (typeof body.path !== 'string' || !['error', 'hang', 'drop'].includes(String(body.mode))) {
          throw new SandboxApiError(400, 'BadRequest', 'path and mode (error|hang|drop) are required.');
        }
        control.injectFault({
          path: body.path,
          mode: body.mode as FaultMode,
          method: typeof body.method === 'string' ? body.method : undefined,
          count: body.count === undefined ? 1 : num(body.count, 'count'),
          afterEffect: body.afterEffect === true,
        });
        return reply.code(204).send();
      });
      ctl.delete('/faults', async (_request, reply) => {
        control.clearFaults();
        return reply.code(204).send();
      });
      ctl.put('/services/:name/stock', async (request, reply) => {
        control.setStock((request.params as { name: string }).name, num(bodyOf(request).stock, 'stock'));
        return reply.code(204).send();
      });
      ctl.get('/balance', async () => ({ balanceCents: control.getBalance() }));
      ctl.put('/balance', async (request, reply) => {
        control.setBalance(num(bodyOf(request).balanceCents, 'balanceCents'));
        return reply.code(204).send();
      });
      ctl.put('/create-latency', async (request, reply) => {
        control.setCreateLatency(num(bodyOf(request).ms, 'ms'));
        return reply.code(204).send();
      });
      ctl.put('/webhook', async (request, reply) => {
        const body = bodyOf(request);
        control.setWebhook(
          typeof body.url === 'string' ? body.url : null,
          typeof body.secret === 'string' ? body.secret : undefined,
        );
        return reply.code(204).send();
      });
      ctl.post('/tokens/expire', async (_request, reply) => {
        control.expireTokens();
        return reply.code(204).send();
      });
      ctl.get('/webhooks', async () => control.webhooks());
      ctl.get('/requests', async () => control.requests());
      ctl.delete('/requests', async (_request, reply) => {
        control.clearRequests();
        return reply.code(204).send();
      });
    },
    { prefix: '/_control' },
  );
}
