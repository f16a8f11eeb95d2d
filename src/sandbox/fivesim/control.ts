/**
 * The test-only control of the 5sim sandbox: the in-process `control` object and the same
 * operations over HTTP under `/_control/`: deliver SMS, end windows (order, reuse), set stock, prices and
 * balance, slow purchases down, inject faults, read what the sandbox saw.
 */
import type { FastifyInstance } from 'fastify';
import type { FaultMode, FaultSpec, RequestLogEntry, SandboxFaults } from './faults.js';
import { FiveSimSandboxError, type SandboxOrder, type SandboxSms, type SandboxState } from './state.js';
import { orderJson, smsJson } from './wire.js';

export interface FiveSimSandboxControl {
  /** Delivers an SMS now (product template + fresh code unless `text`/`code` given). */
  deliverSms(orderId: string | number, opts?: { text?: string; code?: string; sender?: string }): SandboxSms;
  /** Ends the order's window now (no SMS → TIMEOUT, refunded). */
  expire(orderId: string | number): SandboxOrder;
  /** Ends the order's reuse window now: reusing its number answers `reuse expired`. */
  endReuseWindow(orderId: string | number): SandboxOrder;
  /** Stock of a product (every operator, or one), in `country` (default `usa`). */
  setStock(product: string, count: number, opts?: { operator?: string; country?: string }): void;
  /** Price in cents of a product (every operator, or one), in `country` (default `usa`). */
  setPrice(product: string, cents: number, opts?: { operator?: string; country?: string }): void;
  setBalance(cents: number): void;
  getBalance(): number;
  /** Makes every purchase take this long. */
  setBuyLatency(ms: number): void;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  order(id: string | number): SandboxOrder | undefined;
  /** Every request to `/v1/…`, oldest first. */
  requests(): RequestLogEntry[];
  clearRequests(): void;
}

export function createControl(deps: { state: SandboxState; faults: SandboxFaults }): FiveSimSandboxControl {
  const { state, faults } = deps;
  const operatorsOf = (product: string, opts: { operator?: string; country?: string } = {}) => {
    const operators = state.catalogue.get(opts.country ?? 'usa')?.get(product);
    if (!operators) throw new FiveSimSandboxError(400, 'no product');
    const chosen = [...operators.entries()].filter(([name]) => !opts.operator || name === opts.operator);
    if (chosen.length === 0) throw new FiveSimSandboxError(400, 'bad operator');
    return chosen.map(([, offer]) => offer);
  };
  const int = (value: number, field: string) => {
    if (!Number.isSafeInteger(value) || value < 0) throw new FiveSimSandboxError(400, `${field} must be ≥ 0`);
    return value;
  };
  return {
    deliverSms: (id, opts) => state.deliverSms(Number(id), opts),
    expire: (id) => state.expire(Number(id)),
    endReuseWindow: (id) => state.endReuseWindow(Number(id)),
    setStock(product, count, opts) {
      for (const offer of operatorsOf(product, opts)) offer.count = int(count, 'count');
    },
    setPrice(product, cents, opts) {
      for (const offer of operatorsOf(product, opts)) offer.priceCents = int(cents, 'price');
    },
    setBalance(cents) {
      state.balanceCents = int(cents, 'balance');
    },
    getBalance: () => state.balanceCents,
    setBuyLatency(ms) {
      state.buyLatencyMs = Math.max(0, ms);
    },
    injectFault: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    order(id) {
      const order = state.orders.get(Number(id));
      return order ? state.refresh(order) : undefined;
    },
    requests: () => faults.requests(),
    clearRequests: () => faults.clearRequests(),
  };
}

const FAULT_MODES: readonly FaultMode[] = ['error', 'offline', 'garbage', 'hang', 'drop'];
const bodyOf = (body: unknown): Record<string, unknown> =>
  body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** The control over HTTP, under `/_control/`. */
export function registerControlRoutes(app: FastifyInstance, control: FiveSimSandboxControl): void {
  void app.register(
    async (ctl) => {
      ctl.post('/orders/:id/sms', async (request, reply) => {
        const body = bodyOf(request.body);
        const sms = control.deliverSms((request.params as { id: string }).id, {
          text: str(body.text),
          code: str(body.code),
          sender: str(body.sender),
        });
        return reply.code(201).send(smsJson(sms));
      });
      ctl.post('/orders/:id/expire', async (request) =>
        orderJson(control.expire((request.params as { id: string }).id)),
      );
      ctl.post('/orders/:id/end-reuse-window', async (request) =>
        orderJson(control.endReuseWindow((request.params as { id: string }).id)),
      );
      ctl.put('/products/:product', async (request, reply) => {
        const body = bodyOf(request.body);
        const product = (request.params as { product: string }).product;
        const where = { operator: str(body.operator), country: str(body.country) };
        if (typeof body.count === 'number') control.setStock(product, body.count, where);
        if (typeof body.priceCents === 'number') control.setPrice(product, body.priceCents, where);
        return reply.code(204).send();
      });
      ctl.get('/balance', async () => ({ balanceCents: control.getBalance() }));
      ctl.put('/balance', async (request, reply) => {
        control.setBalance(Number(bodyOf(request.body).balanceCents));
        return reply.code(204).send();
      });
      ctl.put('/buy-latency', async (request, reply) => {
        control.setBuyLatency(Number(bodyOf(request.body).ms));
        return reply.code(204).send();
      });
      ctl.post('/faults', async (request, reply) => {
        const body = bodyOf(request.body);
        const mode = FAULT_MODES.find((m) => m === body.mode);
        if (typeof body.path !== 'string' || !mode) {
          throw new FiveSimSandboxError(400, `path and mode (${FAULT_MODES.join('|')}) are required`);
        }
        control.injectFault({
          path: body.path,
          mode,
          count: typeof body.count === 'number' ? body.count : 1,
          afterEffect: body.afterEffect === true,
        });
        return reply.code(204).send();
      });
      ctl.delete('/faults', async (_request, reply) => {
        control.clearFaults();
        return reply.code(204).send();
      });
      ctl.get('/requests', async () => control.requests());
    },
    { prefix: '/_control' },
  );
}
