/** What the verification routes answer with: the zod schemas, the types inferred from them, the mapping. */
import { z } from 'zod';
import { moneyIn } from '../../platform/money.js';
import { CAPABILITIES } from '../catalog/index.js';
import { CHARGE_CURRENCIES, RENEWALS, STATUSES } from './domain.js';
import type { MessageRow, VerificationRow } from './store.js';

const messageView = z.object({
  id: z.string(),
  from: z.string().nullable(),
  text: z.string().nullable(),
  code: z.string().nullable(),
  receivedAt: z.string().describe('ISO 8601'),
  afterExpiry: z.boolean().describe('Arrived after the window closed (shown, never charged).'),
});
export type MessageView = z.infer<typeof messageView>;

/** What every verification route answers with. */
export const verificationView = z.object({
  id: z.string().uuid(),
  status: z.enum(STATUSES),
  service: z.string(),
  country: z.string(),
  capability: z.enum(CAPABILITIES),
  options: z.object({ areaCodes: z.array(z.string()).optional(), carrier: z.string().optional() }),
  phoneNumber: z.string().nullable(),
  price: moneyIn(CHARGE_CURRENCIES).describe(
    "What is held/charged: cents of USD, 1 free verification credit, or cents of the plan's included usage.",
  ),
  code: z.string().nullable(),
  expiresAt: z.string().nullable().describe('ISO 8601; the end of the provider window.'),
  failureCode: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().nullable(),
  reusedFrom: z
    .string()
    .uuid()
    .nullable()
    .describe('The completed order whose number this order bought again (reuse or reactivation).'),
  renewal: z.enum(RENEWALS).nullable().describe('How `reusedFrom` was renewed: `reuse` or `reactivate`.'),
  renewable: z
    .object({
      reusableUntil: z
        .string()
        .nullable()
        .describe('ISO 8601; until then POST /api/v1/verifications/{id}/reuse buys this number again.'),
      canReactivate: z
        .boolean()
        .describe('POST /api/v1/verifications/{id}/reactivate buys this number again (reuse window over).'),
    })
    .nullable()
    .optional()
    .describe(
      "Only on GET /api/v1/verifications/{id} of a completed order: the provider's current offer (null when none or unknown).",
    ),
  messages: z.array(messageView).optional().describe('Only on GET /api/v1/verifications/{id}.'),
});
export type VerificationView = z.infer<typeof verificationView>;

export function toMessageView(m: MessageRow): MessageView {
  return {
    id: m.id,
    from: m.sender,
    text: m.text,
    code: m.code,
    receivedAt: m.receivedAt.toISOString(),
    afterExpiry: m.afterExpiry,
  };
}

export function toView(row: VerificationRow, messages?: MessageRow[]): VerificationView {
  return {
    id: row.id,
    status: row.status,
    service: row.service,
    country: row.country,
    capability: row.capability,
    options: row.options,
    phoneNumber: row.phoneNumber,
    price: { amount: row.chargeAmount, currency: row.currency },
    code: row.code,
    expiresAt: row.endsAt?.toISOString() ?? null,
    failureCode: row.failureCode,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
    reusedFrom: row.reusedFrom,
    renewal: row.renewal,
    ...(messages ? { messages: messages.map(toMessageView) } : {}),
  };
}
