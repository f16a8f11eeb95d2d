import { AppError, providerUnavailable } from '../../platform/errors.js';
import { isPaystackError } from '../../providers/paystack/index.js';
import type { PaymentsContext } from './context.js';
import { type ChargeCurrency, chargeFor, newTopupReference } from './domain.js';
import * as store from './store.js';
import { type TopupView, toView } from './views.js';

/** Initialize: insert `initializing` → Paystack initialize → `initialized` (checkout link). */
export function createTopupInitializer(ctx: PaymentsContext) {
  const { db, logger } = ctx;

  /** Phase 1 → Paystack → phase 2. A failed initialize answers 503 and leaves nothing visible. */
  async function initializeTopup(input: {
    userId: string;
    email: string;
    amountUsdCents: number;
    currency: ChargeCurrency;
    requestKey: string | null;
  }): Promise<TopupView> {
    const client = ctx.paystack();
    const charge = chargeFor(input.amountUsdCents, input.currency, ctx.ngnPerUsd);
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
        callbackUrl: `${ctx.publicUrl}/api/v1/wallet/topups/callback`,
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

  return { initializeTopup };
}
