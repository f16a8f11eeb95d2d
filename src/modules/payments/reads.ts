import { notFound } from '../../platform/errors.js';
import { SIGNUP_CREDIT_CURRENCY, WALLET_CURRENCY } from '../ledger/index.js';
import type { Db } from '../../platform/db/database.js';
import type { PaymentsContext } from './context.js';
import { isTopupReference, statementMeaning } from './domain.js';
import * as store from './store.js';
import { type TopupView, toView } from './views.js';

/** The reads: a user's top-ups and wallet (balances and statement from the ledger). */
export function createWalletReads(ctx: PaymentsContext) {
  const { db, ledger } = ctx;

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

  /**
   * The wallet read API (balances from the ledger), both wallets in one statement; `on` a
   * transaction to read it in that transaction's snapshot.
   */
  async function walletOverview(userId: string, on: Db = db) {
    const summaries = await ledger.walletSummaries(on, userId, [WALLET_CURRENCY, SIGNUP_CREDIT_CURRENCY]);
    const usd = summaries.get(WALLET_CURRENCY)!;
    const credits = summaries.get(SIGNUP_CREDIT_CURRENCY)!;
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

  return { topupForUser, listTopups, walletOverview, walletStatement };
}
