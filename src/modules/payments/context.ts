import type { Db } from '../../platform/db/database.js';
import { providerUnavailable } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { PaystackClient } from '../../providers/paystack/index.js';
import type { AuditService } from '../audit/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { WebhooksService } from '../webhooks/index.js';

export interface SecurityEvent {
  kind: string;
  userId: string | null;
  reference: string | null;
  detail: Record<string, unknown>;
}

/** What every use case of the module shares, resolved once from the deps (defaults applied). */
export interface PaymentsContext {
  db: Db;
  ledger: LedgerService;
  /** For entries with an actor (an administrator's refund request). */
  audit: AuditService;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** The configured Paystack client; throws `provider_unavailable` when payments are off. */
  paystack: () => PaystackClient;
  paystackSecretKey: string | undefined;
  publicUrl: string;
  ngnPerUsd: number;
  recordSecurityEvent: (tx: Db, event: SecurityEvent) => Promise<void>;
  /** The developer webhooks outbox, written in the credit's transaction. */
  webhooks: Pick<WebhooksService, 'emitEvent'>;
  staleAfterMs: number;
  abandonAfterMs: number;
  webhookAnswerWithinMs: number;
  now: () => Date;
}

export const notConfigured = () => providerUnavailable('Payments are not configured.');
