import { randomUUID } from 'node:crypto';

/** The body TextVerified posts for `v2.sms.received` (contract §A.4), for tests that play the provider. */
export function smsReceivedWebhookBody(sms: {
  reservationId: string;
  createdAt: Date;
  smsContent: string | null;
  parsedCode: string | null;
  from: string | null;
  to: string;
  id?: string;
}): string {
  return JSON.stringify({
    id: sms.id ?? `whe_${randomUUID()}`,
    event: 'v2.sms.received',
    occurredAt: new Date().toISOString(),
    attempt: 1,
    data: {
      from: sms.from,
      to: sms.to,
      createdAt: sms.createdAt.toISOString(),
      smsContent: sms.smsContent,
      parsedCode: sms.parsedCode,
      encrypted: false,
      reservationId: sms.reservationId,
    },
  });
}
