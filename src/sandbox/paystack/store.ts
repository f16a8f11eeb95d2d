import { randomBytes, randomInt } from 'node:crypto';

/**
 * The sandbox's state: transactions and refunds, in memory. Pure bookkeeping — their JSON shapes
 * are in wire.ts, HTTP in routes.ts, events and timers in payments.ts.
 */

const SUPPORTED_CURRENCIES = ['NGN', 'USD', 'GHS', 'ZAR', 'KES'] as const;
export type SandboxCurrency = (typeof SUPPORTED_CURRENCIES)[number];
export const isSupportedCurrency = (value: string): value is SandboxCurrency =>
  (SUPPORTED_CURRENCIES as readonly string[]).includes(value);

export type SandboxTransactionStatus = 'abandoned' | 'success' | 'failed' | 'reversed';

export interface SandboxCustomer {
  id: number;
  email: string;
  customerCode: string;
}

export interface SandboxTransaction {
  id: number;
  reference: string;
  accessCode: string;
  status: SandboxTransactionStatus;
  /** What was charged (may differ from `requestedAmount` when a test pays another amount). */
  amount: number;
  requestedAmount: number;
  currency: string;
  requestedCurrency: string;
  email: string;
  callbackUrl: string | null;
  metadata: unknown;
  channels: string[] | null;
  gatewayResponse: string;
  createdAt: string;
  paidAt: string | null;
  customer: SandboxCustomer;
  authorization: Record<string, unknown>;
  fees: number | null;
  refunded: number;
  /** The checkout link was used (paid or declined): it is single-use. */
  authorizationUsed: boolean;
}

export type SandboxRefundStatus = 'pending' | 'processing' | 'processed' | 'failed';

export interface SandboxRefund {
  id: number;
  transactionId: number;
  amount: number;
  currency: string;
  status: SandboxRefundStatus;
  customerNote: string;
  merchantNote: string;
  createdAt: string;
  updatedAt: string;
  refundedAt: string | null;
  expectedAt: string;
}

/** Paystack's dispute states; a resolution says who keeps the money. */
export type SandboxDisputeStatus = 'awaiting-merchant-feedback' | 'resolved';
export type SandboxDisputeResolution = 'merchant-accepted' | 'declined';

export interface SandboxDispute {
  id: number;
  transactionId: number;
  /** What the payer claims back (`refund_amount`), subunits. */
  refundAmount: number;
  currency: string;
  status: SandboxDisputeStatus;
  resolution: SandboxDisputeResolution | null;
  category: string;
  createdAt: string;
  updatedAt: string;
  dueAt: string;
  resolvedAt: string | null;
}

export class SandboxStoreError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const REFERENCE_PATTERN = /^[A-Za-z0-9.=-]{1,100}$/;

export const isValidReference = (reference: string) => REFERENCE_PATTERN.test(reference);

function randomToken(length: number, alphabet: string): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}
const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const MIXED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface CreateTransactionInput {
  email: string;
  amount: number;
  currency: string;
  reference?: string;
  callbackUrl: string | null;
  metadata: unknown;
  channels: string[] | null;
}

export class PaystackSandboxStore {
  private readonly byReference = new Map<string, SandboxTransaction>();
  private readonly byId = new Map<number, SandboxTransaction>();
  private readonly byAccessCode = new Map<string, SandboxTransaction>();
  private readonly customers = new Map<string, SandboxCustomer>();
  private readonly refunds = new Map<number, SandboxRefund>();
  private readonly disputes = new Map<number, SandboxDispute>();
  private nextTransactionId = 4_000_000_000 + randomInt(0, 900_000_000);
  private nextRefundId = 10_000_000 + randomInt(0, 80_000_000);
  private nextCustomerId = 200_000_000 + randomInt(0, 600_000_000);
  private nextDisputeId = 1_000_000 + randomInt(0, 8_000_000);

  reset() {
    this.byReference.clear();
    this.byId.clear();
    this.byAccessCode.clear();
    this.customers.clear();
    this.refunds.clear();
    this.disputes.clear();
  }

  createTransaction(input: CreateTransactionInput): SandboxTransaction {
    const reference = input.reference ?? randomToken(20, MIXED);
    if (this.byReference.has(reference)) {
      throw new SandboxStoreError(400, 'duplicate_reference', 'Duplicate Transaction Reference');
    }
    const tx: SandboxTransaction = {
      id: this.nextTransactionId++,
      reference,
      accessCode: randomToken(15, LOWER),
      status: 'abandoned',
      amount: input.amount,
      requestedAmount: input.amount,
      currency: input.currency,
      requestedCurrency: input.currency,
      email: input.email,
      callbackUrl: input.callbackUrl,
      metadata: input.metadata,
      channels: input.channels,
      gatewayResponse: 'The transaction was not completed',
      createdAt: new Date().toISOString(),
      paidAt: null,
      customer: this.customerFor(input.email),
      authorization: {},
      fees: null,
      refunded: 0,
      authorizationUsed: false,
    };
    this.byReference.set(tx.reference, tx);
    this.byId.set(tx.id, tx);
    this.byAccessCode.set(tx.accessCode, tx);
    return tx;
  }

  findByReference = (reference: string) => this.byReference.get(reference);
  findById = (id: number) => this.byId.get(id);
  findByAccessCode = (accessCode: string) => this.byAccessCode.get(accessCode);
  allTransactions = () => [...this.byReference.values()];

  /** Settles a pending transaction. `amount`/`currency` override what is charged (mismatch tests). */
  settle(
    tx: SandboxTransaction,
    outcome: 'success' | 'failed',
    override: { amount?: number; currency?: string } = {},
  ): SandboxTransaction {
    if (tx.status !== 'abandoned') {
      throw new SandboxStoreError(
        409,
        'transaction_completed',
        `Transaction ${tx.reference} is already ${tx.status}`,
      );
    }
    tx.authorizationUsed = true;
    tx.amount = override.amount ?? tx.amount;
    tx.currency = override.currency ?? tx.currency;
    const now = new Date().toISOString();
    if (outcome === 'success') {
      tx.status = 'success';
      tx.gatewayResponse = 'Successful';
      tx.paidAt = now;
      tx.fees = Math.min(Math.floor((tx.amount * 15) / 1000), 200_000);
      tx.authorization = {
        authorization_code: `AUTH_${randomToken(10, LOWER)}`,
        bin: '408408',
        last4: '4081',
        exp_month: '12',
        exp_year: '2030',
        channel: 'card',
        card_type: 'visa ',
        bank: 'TEST BANK',
        country_code: 'NG',
        brand: 'visa',
        reusable: true,
        signature: `SIG_${randomToken(20, MIXED)}`,
        account_name: null,
      };
    } else {
      tx.status = 'failed';
      tx.gatewayResponse = 'Declined';
    }
    return tx;
  }

  createRefund(
    tx: SandboxTransaction,
    input: { amount?: number; currency?: string; customerNote?: string; merchantNote?: string },
  ): SandboxRefund {
    if (tx.status !== 'success') {
      throw new SandboxStoreError(
        400,
        'transaction_not_refundable',
        tx.status === 'reversed'
          ? 'Transaction has been fully reversed'
          : 'Cannot refund a transaction that is not successful',
      );
    }
    if (input.currency !== undefined && input.currency !== tx.currency) {
      throw new SandboxStoreError(400, 'invalid_params', 'Currency does not match transaction currency');
    }
    const remaining = tx.amount - tx.refunded;
    const amount = input.amount ?? remaining;
    if (amount <= 0 || amount > remaining) {
      throw new SandboxStoreError(
        400,
        'invalid_params',
        'Refund amount cannot be greater than the refundable amount',
      );
    }
    tx.refunded += amount;
    const now = new Date();
    const refund: SandboxRefund = {
      id: this.nextRefundId++,
      transactionId: tx.id,
      amount,
      currency: tx.currency,
      status: 'pending',
      customerNote: input.customerNote ?? `Refund for transaction ${tx.reference}`,
      merchantNote: input.merchantNote ?? `Refund for transaction ${tx.reference} by ${tx.email}`,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      refundedAt: null,
      expectedAt: new Date(now.getTime() + 10 * 86_400_000).toISOString(),
    };
    this.refunds.set(refund.id, refund);
    return refund;
  }

  /** Marks a refund processed; a transaction refunded in full becomes `reversed`. */
  processRefund(refund: SandboxRefund): SandboxRefund {
    if (refund.status === 'processed') return refund;
    const now = new Date().toISOString();
    refund.status = 'processed';
    refund.refundedAt = now;
    refund.updatedAt = now;
    const tx = this.byId.get(refund.transactionId);
    if (tx && tx.refunded >= tx.amount && this.refundsOf(tx).every((r) => r.status === 'processed')) {
      tx.status = 'reversed';
    }
    return refund;
  }

  /** A refund Paystack could not pay out: the amount goes back to the merchant's balance. */
  failRefund(refund: SandboxRefund): SandboxRefund {
    if (refund.status === 'processed' || refund.status === 'failed') {
      throw new SandboxStoreError(409, 'refund_final', `Refund ${refund.id} is already ${refund.status}`);
    }
    refund.status = 'failed';
    refund.updatedAt = new Date().toISOString();
    const tx = this.byId.get(refund.transactionId);
    if (tx) tx.refunded -= refund.amount;
    return refund;
  }

  /** The payer's bank disputes a paid transaction (in full unless `amount` says less). */
  createDispute(tx: SandboxTransaction, input: { amount?: number; category?: string }): SandboxDispute {
    if (tx.status !== 'success' && tx.status !== 'reversed') {
      throw new SandboxStoreError(
        400,
        'transaction_not_disputable',
        'Only a paid transaction can be disputed',
      );
    }
    const amount = input.amount ?? tx.amount;
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > tx.amount) {
      throw new SandboxStoreError(
        400,
        'invalid_params',
        'Dispute amount must be between 1 and the transaction amount',
      );
    }
    const now = new Date();
    const dispute: SandboxDispute = {
      id: this.nextDisputeId++,
      transactionId: tx.id,
      refundAmount: amount,
      currency: tx.currency,
      status: 'awaiting-merchant-feedback',
      resolution: null,
      category: input.category ?? 'chargeback',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      dueAt: new Date(now.getTime() + 3 * 86_400_000).toISOString(),
      resolvedAt: null,
    };
    this.disputes.set(dispute.id, dispute);
    return dispute;
  }

  /** `merchant-accepted`: the payer keeps `refundAmount` (default: the disputed amount); `declined`: the merchant wins. */
  resolveDispute(
    dispute: SandboxDispute,
    resolution: SandboxDisputeResolution,
    refundAmount?: number,
  ): SandboxDispute {
    if (dispute.status === 'resolved') {
      throw new SandboxStoreError(409, 'dispute_resolved', `Dispute ${dispute.id} is already resolved`);
    }
    if (refundAmount !== undefined) {
      if (!Number.isSafeInteger(refundAmount) || refundAmount < 0 || refundAmount > dispute.refundAmount) {
        throw new SandboxStoreError(400, 'invalid_params', 'refund_amount cannot exceed the disputed amount');
      }
      dispute.refundAmount = refundAmount;
    }
    const now = new Date().toISOString();
    dispute.status = 'resolved';
    dispute.resolution = resolution;
    dispute.resolvedAt = now;
    dispute.updatedAt = now;
    return dispute;
  }

  findDispute = (id: number) => this.disputes.get(id);
  allDisputes = () => [...this.disputes.values()];
  findRefund = (id: number) => this.refunds.get(id);
  allRefunds = () => [...this.refunds.values()];
  refundsOf = (tx: SandboxTransaction) => this.allRefunds().filter((r) => r.transactionId === tx.id);

  private customerFor(email: string): SandboxCustomer {
    const key = email.toLowerCase();
    let customer = this.customers.get(key);
    if (!customer) {
      customer = { id: this.nextCustomerId++, email, customerCode: `CUS_${randomToken(15, LOWER)}` };
      this.customers.set(key, customer);
    }
    return customer;
  }
}
