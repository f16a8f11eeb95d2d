/** The records the sandbox keeps per verification and SMS (server-side shapes, not the wire's). */
import { randomBytes } from 'node:crypto';

export type WireState =
  | 'verificationPending'
  | 'verificationCompleted'
  | 'verificationCanceled'
  | 'verificationTimedOut'
  | 'verificationReported';

export interface SandboxSms {
  id: string;
  from: string | null;
  to: string;
  createdAt: Date;
  smsContent: string | null;
  parsedCode: string | null;
  encrypted: boolean;
  reservationId: string;
}

export interface SandboxVerification {
  id: string;
  saleId: string;
  number: string;
  serviceName: string;
  capability: string;
  state: WireState;
  totalCostCents: number;
  /** What goes back to the balance on cancel/timeout (0 for mocks). */
  chargedCents: number;
  createdAt: Date;
  endsAt: Date;
  sms: SandboxSms[];
  mock: boolean;
  /** The fixed `mock_ver_*` ids: actions answer but do not persist, like the real test mode. */
  frozen: boolean;
  /** The end of the reuse window (set when the first SMS completes it); null = never reusable. */
  reusableUntil: Date | null;
  /** Reactivation is offered from `reusableUntil` until this instant; null = never. */
  reactivatableUntil: Date | null;
  /** When the first SMS completed it. */
  completedAt: Date | null;
  /** The verification a reuse/reactivation of this one created (each completion renews once). */
  renewedBy: string | null;
  idempotencyKey: string | null;
}

/** Opaque ids with the prefixes seen in the SDK's tests (`ver_…`, `mock_ver_…`). */
export const newId = (prefix: string): string => `${prefix}${randomBytes(12).toString('hex')}`;
