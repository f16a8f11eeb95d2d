/**
 * The verifications service: its use cases, one file each, bound to their dependencies (built once
 * by the composition root). Every transition is conditional on the current status and the ledger
 * resolves a hold once; no database transaction spans an HTTP call.
 *   purchase.ts  buying a number (+ the reconciler of unknown provider outcomes)
 *   intake.ts    SMS intake (webhook and poller) and the expiry sweep
 *   cancel.ts    cancel/report and the retry of upstream actions
 *   reads.ts     one order, a user's list, the change notices
 */
import { cancelOrReport, retryUpstreamActions } from './cancel.js';
import type { VerificationDeps } from './deps.js';
import type { UpstreamAction } from './domain.js';
import {
  type IncomingSms,
  intakeSms,
  pollActive,
  pollVerification,
  retakeEarlySms,
  sweepExpired,
} from './intake.js';
import { type PurchaseInput, type Purchaser, purchase, reconcilePending } from './purchase.js';
import { type RenewInput, reconcileRenewals, renew } from './renew.js';
import type { Renewal } from './domain.js';
import {
  findBySerial,
  getVerification,
  type ListQuery,
  listVerifications,
  messagesOf,
  ownOrder,
  subscribe,
} from './reads.js';

type Options<F extends (deps: VerificationDeps, opts?: never) => unknown> = Parameters<F>[1];

export function createVerificationsService(deps: VerificationDeps) {
  const earlySms = new Set<string>();
  return {
    purchase: (principal: Purchaser, input: PurchaseInput, opts?: { idempotencyKey?: string | null }) =>
      purchase(deps, principal, input, opts),
    /** Buys a completed order's number again (reuse or reactivation) as a new order. */
    renew: (
      principal: Purchaser,
      id: string,
      renewal: Renewal,
      input?: RenewInput,
      opts?: { idempotencyKey?: string | null },
    ) => renew(deps, principal, id, renewal, input, opts),
    /** Purchases and renewals left pending by an unknown provider outcome. */
    reconcilePending: async (opts?: Options<typeof reconcilePending>) => {
      const bought = await reconcilePending(deps, opts);
      const renewed = await reconcileRenewals(deps, opts);
      return {
        activated: bought.activated + renewed.activated,
        failed: bought.failed + renewed.failed,
        unresolved: bought.unresolved + renewed.unresolved,
      };
    },
    /** One SMS; one for an order not known yet is tried again shortly (`retakeEarlySms`). */
    intakeSms: async (sms: IncomingSms) => {
      const outcome = await intakeSms(deps, sms);
      if (outcome === 'unknown_reservation') retakeEarlySms(deps, earlySms, sms);
      return outcome;
    },
    pollVerification: (order: Parameters<typeof pollVerification>[1]) => pollVerification(deps, order),
    pollActive: (opts?: Options<typeof pollActive>) => pollActive(deps, opts),
    sweepExpired: (opts?: Options<typeof sweepExpired>) => sweepExpired(deps, opts),
    cancelOrReport: (userId: string, id: string, action: UpstreamAction) =>
      cancelOrReport(deps, userId, id, action),
    retryUpstreamActions: (opts?: Options<typeof retryUpstreamActions>) => retryUpstreamActions(deps, opts),
    getVerification: (userId: string, id: string) => getVerification(deps, userId, id),
    listVerifications: (userId: string, query: ListQuery) => listVerifications(deps, userId, query),
    /** The caller's order (row and messages) by its serial, the SMS-Activate activation id. */
    findBySerial: (userId: string, serial: number) => findBySerial(deps, userId, serial),
    /** The caller's own order (undefined for another user's or an unknown id), for the event stream. */
    ownOrder: (userId: string, id: string) => ownOrder(deps, userId, id),
    messagesOf: (id: string) => messagesOf(deps, id),
    /** Calls `listener` when the order changes (on any instance); returns the unsubscribe. */
    subscribe: (id: string, listener: () => void) => subscribe(deps, id, listener),
  };
}
export type VerificationsService = ReturnType<typeof createVerificationsService>;
