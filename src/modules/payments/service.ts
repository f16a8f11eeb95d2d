import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../platform/db/database.js';
import { formatMoney } from '../../platform/money.js';
import { AppError, notFound, providerUnavailable } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import {
  isPaystackError,
  parseWebhookEvent,
  verifyWebhookSignature,
  type PaystackClient,
  type PaystackTransaction,
} from '../../providers/paystack/index.js';
import type { AuditService } from '../audit/index.js';
import { type LedgerService, WALLET_CURRENCY } from '../ledger/index.js';
import {
  CREDITABLE_STATUSES,
  OPEN_STATUSES,
  chargeFor,
  decide,
  isOlderThan,
  isTopupReference,
  newTopupReference,
  statementMeaning,
  type ChargeCurrency,
  type TopupStatus,
} from './domain.js';
import * as store from './store.js';

/**
 * Top-ups, exactly once. Each use case reads top to bottom as atomic phases with the Paystack
 * call between them, never inside a database transaction:
 *
 *   initialize: insert `initializing` → Paystack initialize → `initialized` (checkout link)
 *   settle:     Paystack verify by reference → one transaction: lock the row while creditable,
 *               ledger transfer (key `topup:<reference>`), mark `succeeded`
 *
 * Settle runs from the signed webhook, the browser callback and the reconciler, in any order and
 * concurrently; the row lock + status condition and the ledger idempotency key each make the
 * credit happen once.
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

export interface SecurityEvent {
  kind: string;
  userId: string | null;
  reference: string | null;
  detail: Record<string, unknown>;
}

export type Money = { amount: number; currency: string };

export interface TopupView {
  reference: string;
  status: TopupStatus;
  amount: Money;
  charge: Money;
  exchangeRate: { ngnPerUsd: number } | null;
  authorizationUrl: string | null;
  createdAt: string;
  completedAt: string | null;
}

export type SettleSource = 'webhook' | 'callback' | 'reconciler';

export interface SettleResult {
  /** `credited` only for the one call that credited; later calls see `already_settled`. */
  outcome:
    'credited' | 'already_settled' | 'flagged' | 'failed' | 'abandoned' | 'pending' | 'unknown_reference';
  status: TopupStatus | null;
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;

/** How many top-ups the reconciler verifies at once. */
const RECONCILE_CONCURRENCY = 8;

export function createPaymentsService(options: PaymentsDeps) {
  const { db, logger, ledger } = options;
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  const abandonAfterMs = options.abandonAfterMs ?? 2 * 3600_000;
  const webhookAnswerWithinMs = options.webhookAnswerWithinMs ?? 5_000;
  const now = options.now ?? (() => new Date());
  const recordSecurityEvent =
    options.recordSecurityEvent ??
    ((tx: Db, event: SecurityEvent) =>
      options.audit.record(tx, {
        actorId: null,
        action: event.kind,
        subjectType: 'topup',
        subjectId: event.reference,
        details: { userId: event.userId, ...event.detail },
      }));

  const paystack = (): PaystackClient => {
    if (!options.paystack) throw providerUnavailable('Payments are not configured.');
    return options.paystack;
  };

  /** Phase 1 → Paystack → phase 2. A failed initialize answers 503 and leaves nothing visible. */
  async function initializeTopup(input: {
    userId: string;
    email: string;
    amountUsdCents: number;
    currency: ChargeCurrency;
    requestKey: string | null;
  }): Promise<TopupView> {
    const client = paystack();
    const charge = chargeFor(input.amountUsdCents, input.currency, options.ngnPerUsd);
    const reference = newTopupReference();

    // Phase 1: the row exists before Paystack hears of the reference (recovery point).
    const created = await store.insertTopup(db, {
      reference,
      userId: input.userId,
      amountUsdCents: input.amountUsdCents,
      charge,
      requestKey: input.requestKey,
    });
    if (!created) {
      // The same Idempotency-Key already made a live top-up (a retry after a crash or a race).
      const existing = input.requestKey
        ? await store.findByRequestKey(db, input.userId, input.requestKey)
        : undefined;
      if (existing && existing.status !== 'initializing') return toView(existing);
      throw new AppError(
        409,
        'idempotency_key_in_use',
        'A request with this Idempotency-Key is still in progress.',
      );
    }

    // Foreign call, outside any transaction.
    let initialized;
    try {
      initialized = await client.initializeTransaction({
        email: input.email,
        amountMinor: charge.amountMinor,
        currency: charge.currency,
        reference,
        callbackUrl: `${options.publicUrl}/api/v1/wallet/topups/callback`,
        // Informational only: the amount credited always comes from our row.
        metadata: { topupId: created.id, userId: input.userId },
      });
    } catch (error) {
      const ambiguous = isPaystackError(error)
        ? error.ambiguous || error.kind === 'duplicate_reference'
        : true;
      const reason = isPaystackError(error) ? `initialize_${error.kind}` : 'initialize_error';
      await store.markInitializeFailed(db, created.id, reason, ambiguous);
      logger.warn({ err: error, reference, ambiguous }, 'Paystack initialize failed');
      throw providerUnavailable('The payment provider is unavailable; please try again shortly.');
    }

    // Phase 2: the user gets the checkout link.
    const row = await store.markInitialized(db, created.id, {
      authorizationUrl: initialized.authorizationUrl,
      accessCode: initialized.accessCode,
    });
    if (row) return toView(row);
    // Only a settle that already ran could have moved it on; answer with what the row says now.
    const current = await store.findByReference(db, reference);
    if (!current) throw new Error(`top-up ${reference} vanished`);
    return toView({ ...current, authorizationUrl: current.authorizationUrl ?? initialized.authorizationUrl });
  }

  /** Asks Paystack about `reference` and settles the top-up accordingly; safe to call any number of times. */
  async function settleTopup(reference: string, source: SettleSource): Promise<SettleResult> {
    if (!isTopupReference(reference)) return { outcome: 'unknown_reference', status: null };
    const topup = await store.findByReference(db, reference);
    if (!topup) return { outcome: 'unknown_reference', status: null };
    if (!(CREDITABLE_STATUSES as readonly string[]).includes(topup.status)) {
      return { outcome: 'already_settled', status: topup.status as TopupStatus };
    }

    let verified: PaystackTransaction;
    try {
      verified = await paystack().verifyTransaction(reference);
    } catch (error) {
      if (isPaystackError(error, 'not_found')) {
        return settleUnknownAtPaystack(topup, source);
      }
      logger.warn({ err: error, reference, source }, 'Paystack verify failed; the top-up stays pending');
      return { outcome: 'pending', status: topup.status as TopupStatus };
    }

    const decision = decide(
      {
        reference,
        status: topup.status as TopupStatus,
        chargeCurrency: topup.chargeCurrency,
        chargeAmountMinor: topup.chargeAmountMinor,
        createdAt: topup.createdAt,
      },
      verified,
      now(),
      abandonAfterMs,
    );

    switch (decision.action) {
      case 'credit':
        return credit(reference, verified, source);
      case 'flag':
        return flag(reference, verified, decision.reason, source);
      case 'fail': {
        const row = await store.markSettledWithout(
          db,
          reference,
          ['initializing', 'initialized', 'abandoned'],
          {
            status: 'failed',
            reason: decision.reason,
            paystackTransactionId: verified.id,
          },
        );
        return row ? { outcome: 'failed', status: 'failed' } : current(reference);
      }
      case 'abandon': {
        const row = await store.markSettledWithout(db, reference, OPEN_STATUSES, {
          status: 'abandoned',
          reason: 'not_paid_in_time',
          paystackTransactionId: verified.id,
        });
        return row ? { outcome: 'abandoned', status: 'abandoned' } : current(reference);
      }
      case 'wait':
        await store.touchVerified(db, reference);
        return { outcome: 'pending', status: topup.status as TopupStatus };
    }
  }

  /** Verify says Paystack never heard of it: an initialize that never landed. Give up when old. */
  async function settleUnknownAtPaystack(topup: store.TopupRow, source: SettleSource): Promise<SettleResult> {
    if (
      source === 'reconciler' &&
      (OPEN_STATUSES as readonly string[]).includes(topup.status) &&
      isOlderThan(topup.createdAt, now(), abandonAfterMs)
    ) {
      const row = await store.markSettledWithout(db, topup.reference, OPEN_STATUSES, {
        status: 'failed',
        reason: 'unknown_at_paystack',
      });
      if (row) return { outcome: 'failed', status: 'failed' };
    }
    await store.touchVerified(db, topup.reference);
    return { outcome: 'pending', status: topup.status as TopupStatus };
  }

  /** ONE transaction: lock the row while creditable, post the ledger transfer, mark succeeded. */
  async function credit(
    reference: string,
    verified: PaystackTransaction,
    source: SettleSource,
  ): Promise<SettleResult> {
    return db.transaction(async (tx) => {
      const topup = await store.lockInStatus(tx, reference, CREDITABLE_STATUSES);
      if (!topup) {
        const settled = await store.findByReference(tx, reference);
        return { outcome: 'already_settled', status: (settled?.status as TopupStatus | undefined) ?? null };
      }
      const posting = await ledger.creditTopup(tx, {
        ownerId: topup.userId,
        amount: topup.amountUsdCents,
        reference,
        memo: topupMemo(topup),
        metadata: {
          reference,
          topupId: topup.id,
          paystackTransactionId: verified.id,
          charge: { amount: topup.chargeAmountMinor, currency: topup.chargeCurrency },
          ...(topup.ngnPerUsd === null ? {} : { ngnPerUsd: topup.ngnPerUsd }),
          source,
        },
      });
      await store.markSucceeded(tx, topup.id, {
        ledgerTransactionId: posting.transactionId,
        paystackTransactionId: verified.id,
      });
      if (posting.duplicate) {
        // The ledger already had this top-up although the row was not succeeded: repaired, not re-credited.
        logger.error({ reference }, 'top-up row was behind its ledger transaction; marked succeeded');
        return { outcome: 'already_settled', status: 'succeeded' };
      }
      logger.info({ reference, source, amount: topup.amountUsdCents }, 'top-up credited');
      return { outcome: 'credited', status: 'succeeded' };
    });
  }

  /** Paid, but not what was initialized: never credited; flagged and recorded for an operator. */
  async function flag(
    reference: string,
    verified: PaystackTransaction,
    reason: string,
    source: SettleSource,
  ): Promise<SettleResult> {
    return db.transaction(async (tx) => {
      const row = await store.markSettledWithout(tx, reference, CREDITABLE_STATUSES, {
        status: 'flagged',
        reason,
        paystackTransactionId: verified.id,
        paidAmountMinor: verified.amountMinor,
        paidCurrency: verified.currency,
      });
      if (!row) {
        const settled = await store.findByReference(tx, reference);
        return { outcome: 'already_settled', status: (settled?.status as TopupStatus | undefined) ?? null };
      }
      await recordSecurityEvent(tx, {
        kind: 'payments.topup_flagged',
        userId: row.userId,
        reference,
        detail: {
          reason,
          source,
          expected: { amount: row.chargeAmountMinor, currency: row.chargeCurrency },
          paid: { amount: verified.amountMinor, currency: verified.currency },
          paystackReference: verified.reference,
          paystackTransactionId: verified.id,
        },
      });
      logger.warn({ reference, reason, source }, 'top-up flagged: paid amount or currency differs');
      return { outcome: 'flagged', status: 'flagged' };
    });
  }

  async function current(reference: string): Promise<SettleResult> {
    const row = await store.findByReference(db, reference);
    return { outcome: 'already_settled', status: (row?.status as TopupStatus | undefined) ?? null };
  }

  /**
   * The signed webhook. Returns false for a missing or forged signature (the route answers 401).
   * Only `charge.success` does anything, and even then the body is only a hint: verify decides.
   */
  async function handleWebhook(rawBody: Buffer, signature: string | string[] | undefined): Promise<boolean> {
    if (!options.paystackSecretKey) throw providerUnavailable('Payments are not configured.');
    if (!verifyWebhookSignature(rawBody, signature, options.paystackSecretKey)) return false;
    let event;
    try {
      event = parseWebhookEvent(rawBody);
    } catch (error) {
      logger.warn({ err: error }, 'signed Paystack webhook with an unreadable body ignored');
      return true;
    }
    if (event.event !== 'charge.success' || event.reference === null) return true;
    const reference = event.reference;
    // Paystack redelivers until it gets a 2xx, so a 200 is only given once the event is safe: the
    // top-up settled, or read back open from the database (the reconciler verifies every open
    // top-up, so a slow verify may finish after the answer). A database that fails here answers
    // 5xx and Paystack delivers again.
    if (!(await store.findByReference(db, reference))) {
      logger.info({ reference }, 'webhook for an unknown reference');
      return true;
    }
    const settling = settleTopup(reference, 'webhook');
    settling.catch((error: unknown) =>
      logger.error({ err: error, reference }, 'settling a top-up from its webhook failed'),
    );
    // Paystack counts a slow answer as a failed delivery: answer in time, keep settling meanwhile.
    const deadline = new AbortController();
    try {
      await Promise.race([
        settling,
        sleep(webhookAnswerWithinMs, undefined, { signal: deadline.signal }).catch(() => undefined),
      ]);
    } finally {
      deadline.abort();
    }
    return true;
  }

  /** The reconciler's pass over stale open top-ups; each is settled on its own. */
  async function reconcileTopups(limit = 100): Promise<Record<SettleResult['outcome'] | 'error', number>> {
    const counts = {
      credited: 0,
      already_settled: 0,
      flagged: 0,
      failed: 0,
      abandoned: 0,
      pending: 0,
      unknown_reference: 0,
      error: 0,
    };
    const rows = await store.staleOpenTopups(db, new Date(now().getTime() - staleAfterMs), limit);
    // Several at a time: one slow verify must not hold every other credit back (a backlog after an
    // outage is 100 top-ups). Bounded, to stay a polite client of Paystack and of the pool.
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++]!;
        try {
          counts[(await settleTopup(row.reference, 'reconciler')).outcome] += 1;
        } catch (error) {
          counts.error += 1;
          logger.error({ err: error, reference: row.reference }, 'top-up reconciliation failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(RECONCILE_CONCURRENCY, rows.length) }, worker));
    return counts;
  }

  async function topupForUser(userId: string, reference: string): Promise<TopupView> {
    const row = isTopupReference(reference) ? await store.findForUser(db, userId, reference) : undefined;
    if (!row) throw notFound('Top-up');
    return toView(row);
  }

  async function listTopups(userId: string, page: { cursor: number | undefined; limit: number }) {
    const rows = await store.listForUser(db, userId, { cursor: page.cursor, limit: page.limit + 1 });
    const data = rows.slice(0, page.limit);
    const last = data.at(-1);
    return {
      data: data.map(toView),
      nextCursor: rows.length > page.limit && last ? String(last.seq) : null,
    };
  }

  /** The wallet read API (balances from the ledger). */
  async function walletOverview(userId: string) {
    const [usd, credits] = await Promise.all([
      ledger.walletSummary(db, userId),
      ledger.walletSummary(db, userId, 'CREDIT'),
    ]);
    return {
      balance: { amount: usd.balance, currency: 'USD' },
      held: { amount: usd.held, currency: 'USD' },
      includedUsage: { freeVerifications: credits.balance },
    };
  }

  /** Every line of the user's USD wallet, newest first, with its meaning and the running balance. */
  async function walletStatement(userId: string, page: { cursor: number | undefined; limit: number }) {
    const lines = await ledger.walletStatement(db, userId, { cursor: page.cursor, limit: page.limit + 1 });
    const data = lines.slice(0, page.limit);
    const last = data.at(-1);
    return {
      data: data.map((line) => ({
        id: String(line.seq),
        transactionId: line.transactionId,
        type: statementMeaning(line.kind),
        amount: { amount: line.amount, currency: WALLET_CURRENCY },
        balanceAfter: { amount: line.balanceAfter, currency: WALLET_CURRENCY },
        memo: line.memo,
        reference: typeof line.metadata.reference === 'string' ? line.metadata.reference : null,
        createdAt: line.createdAt.toISOString(),
      })),
      nextCursor: lines.length > page.limit && last ? String(last.seq) : null,
    };
  }

  return {
    initializeTopup,
    settleTopup,
    handleWebhook,
    reconcileTopups,
    topupForUser,
    listTopups,
    walletOverview,
    walletStatement,
  };
}

function topupMemo(topup: store.TopupRow): string {
  const dollars = formatMoney(topup.amountUsdCents, 'USD');
  return topup.chargeCurrency === 'NGN'
    ? `Wallet top-up ${dollars} (paid ${formatMoney(topup.chargeAmountMinor, 'NGN')} at ${topup.ngnPerUsd} NGN/USD)`
    : `Wallet top-up ${dollars}`;
}

export function toView(row: store.TopupRow): TopupView {
  return {
    reference: row.reference,
    status: row.status as TopupStatus,
    amount: { amount: row.amountUsdCents, currency: 'USD' },
    charge: { amount: row.chargeAmountMinor, currency: row.chargeCurrency },
    exchangeRate: row.ngnPerUsd === null ? null : { ngnPerUsd: row.ngnPerUsd },
    authorizationUrl: row.status === 'initialized' ? row.authorizationUrl : null,
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}
