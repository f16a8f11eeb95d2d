import type { Db } from '../../platform/db/database.js';
import type { Logger } from '../../platform/logger.js';
import type { PaystackClient } from '../../providers/paystack/index.js';
import type { AuditService } from '../audit/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { WebhooksService } from '../webhooks/index.js';
import { type PaymentsContext, type SecurityEvent, notConfigured } from './context.js';
import { createTopupInitializer } from './initialize.js';
import { createWalletReads } from './reads.js';
import { createDisputes } from './disputes.js';
import { createPaystackEvents } from './paystack-events.js';
import { createRefunds } from './refunds.js';
import { createAccountStanding } from './standing.js';
import { createTopupSettlement } from './settle.js';
import { createTakeBack } from './take-back.js';

/**
 * Top-ups, exactly once. Each use case reads top to bottom as atomic phases with the Paystack
 * call between them, never inside a database transaction: initialize (initialize.ts), settle from
 * the webhook, the callback or the reconciler (settle.ts), and the wallet reads (reads.ts). Money
 * Paystack takes back: refunds (refunds.ts) and chargebacks (disputes.ts), both through
 * take-back.ts; the webhook and the follow-ups in paystack-events.ts; what a user owes and the
 * wallet's flag in standing.ts.
 */

export interface PaymentsDeps {
  db: Db;
  ledger: LedgerService;
  audit: AuditService;
  paystack: PaystackClient | undefined;
  /** Paystack secret key: the webhook signature key. */
  paystackSecretKey: string | undefined;
  publicUrl: string;
  ngnPerUsd: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /**
   * Announces credited top-ups to the user's webhook endpoints, in the credit's transaction.
   * Required: a payments service that could not announce would credit without `wallet.topup.succeeded`.
   */
  webhooks: Pick<WebhooksService, 'emitEvent'>;
  /** Records a flagged payment in the caller's transaction; defaults to the audit log. */
  recordSecurityEvent?: (tx: Db, event: SecurityEvent) => Promise<void>;
  /** An open top-up is reconciled once it is this old. Default 60 s. */
  staleAfterMs?: number;
  /** An unpaid top-up is marked abandoned once it is this old. Default 2 h. */
  abandonAfterMs?: number;
  /**
   * The webhook answers 200 within this time even while Paystack's verify is slow; settling goes
   * on in the background (and the reconciler backs it up). Default 5 s.
   */
  webhookAnswerWithinMs?: number;
  now?: () => Date;
}

export type { SecurityEvent } from './context.js';
export type { TopupView } from './views.js';

export type PaymentsService = ReturnType<typeof createPaymentsService>;

export function createPaymentsService(options: PaymentsDeps) {
  const ctx: PaymentsContext = {
    db: options.db,
    ledger: options.ledger,
    audit: options.audit,
    logger: options.logger,
    paystack: () => {
      if (!options.paystack) throw notConfigured();
      return options.paystack;
    },
    paystackSecretKey: options.paystackSecretKey,
    publicUrl: options.publicUrl,
    ngnPerUsd: options.ngnPerUsd,
    recordSecurityEvent:
      options.recordSecurityEvent ??
      ((tx: Db, event: SecurityEvent) =>
        options.audit.record(tx, {
          actorId: null,
          action: event.kind,
          subjectType: 'topup',
          subjectId: event.reference,
          details: { userId: event.userId, ...event.detail },
        })),
    webhooks: options.webhooks,
    staleAfterMs: options.staleAfterMs ?? 60_000,
    abandonAfterMs: options.abandonAfterMs ?? 2 * 3600_000,
    webhookAnswerWithinMs: options.webhookAnswerWithinMs ?? 5_000,
    now: options.now ?? (() => new Date()),
  };
  const topups = createTopupSettlement(ctx);
  const takeBacks = createTakeBack(ctx);
  const refunds = createRefunds(ctx, takeBacks);
  const disputes = createDisputes(ctx, takeBacks);
  const reads = createWalletReads(ctx);
  const standing = createAccountStanding(ctx);
  return {
    ...createTopupInitializer(ctx),
    ...topups,
    ...refunds,
    ...disputes,
    ...createPaystackEvents(ctx, { ...topups, ...refunds, ...disputes }),
    ...reads,
    ...standing,
    /**
     * For administrators: the wallet and what the user owes as of one moment. Read apart, a refund
     * that commits between the reads showed its flag beside the balance from before it.
     */
    walletAndStanding: (userId: string) =>
      ctx.db.transaction(
        async (tx) => ({
          wallet: await reads.walletOverview(userId, tx),
          standing: await standing.accountStanding(userId, tx),
        }),
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      ),
  };
}
