/**
 * Orders with known outcomes and times for the delivery statistics tests, and the figures they
 * must produce (worked out by hand, below, not by the code under test).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/platform/db/database.js';

type Provider = 'textverified' | 'fivesim';
type Status = 'pending' | 'active' | 'completed' | 'canceled' | 'expired' | 'failed';

export interface KnownOrder {
  service: string;
  country: string;
  provider: Provider;
  status: Status;
  /** How long before `now` it was bought. */
  agoMs: number;
  /** Completed orders: seconds from purchase to the code. */
  secondsToCode?: number;
  /** Whether a number had been assigned (default: yes, except pending and failed orders). */
  hadNumber?: boolean;
  failureCode?: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Inserts the orders as the purchase path leaves them (one statement). */
export async function insertKnownOrders(db: Db, now: Date, orders: readonly KnownOrder[]): Promise<void> {
  const rows = orders.map((o) => {
    const created = new Date(now.getTime() - o.agoMs);
    const completed =
      o.status === 'completed' ? new Date(created.getTime() + (o.secondsToCode ?? 0) * 1000) : null;
    const hadNumber = o.hadNumber ?? !['pending', 'failed'].includes(o.status);
    return sql`(${randomUUID()}::uuid, ${randomUUID()}::uuid, ${o.service}, ${o.country}, 'sms', 100, 100, 'USD', 50,
      ${o.provider}, ${hadNumber ? `up-${randomUUID()}` : null}, ${hadNumber ? '+15555550100' : null},
      ${o.status}, ${o.failureCode ?? null}, ${created.toISOString()}::timestamptz, ${created.toISOString()}::timestamptz,
      ${completed?.toISOString() ?? null}::timestamptz)`;
  });
  await db.execute(sql`insert into verifications (id, user_id, service, country, capability, price_cents,
      charge_amount, currency, provider_cost_cents, provider, provider_id, phone_number, status,
      failure_code, created_at, updated_at, completed_at)
    values ${sql.join(rows, sql`, `)}`);
}

const done = (
  provider: Provider,
  agoMs: number,
  secondsToCode: number,
  extra: Partial<KnownOrder> = {},
): KnownOrder => ({
  service: 'whatsapp',
  country: 'US',
  provider,
  status: 'completed',
  agoMs,
  secondsToCode,
  ...extra,
});
const ended = (
  provider: Provider,
  status: Status,
  agoMs: number,
  extra: Partial<KnownOrder> = {},
): KnownOrder => ({
  service: 'whatsapp',
  country: 'US',
  provider,
  status,
  agoMs,
  ...extra,
});

/** The minimum sample the figures below are worked out for. */
export const KNOWN_MIN_ORDERS = 4;

/**
 * whatsapp / US, TextVerified: in 24 h 4 codes (10, 20, 30, 40 s; the 40 s one later reported as a
 * used number, still delivered), 1 expired, 1 canceled with a number; ignored: canceled before a
 * number, failed, still active, still pending. 1–7 days ago: a code in 100 s, 2 expired. 8 days
 * ago (outside both windows): a code in 5 s.
 * whatsapp / US, 5sim: in 24 h codes in 60 and 90 s, 1 expired (3 orders: below the minimum); 6
 * days ago a code in 120 s.
 * whatsapp / GB, 5sim: 4 codes in 200 s, in 24 h.
 * telegram / US, TextVerified: 2 codes in 24 h (below the minimum in both windows).
 */
export const KNOWN_ORDERS: readonly KnownOrder[] = [
  done('textverified', 1 * HOUR, 10),
  done('textverified', 2 * HOUR, 20),
  done('textverified', 3 * HOUR, 30),
  done('textverified', 4 * HOUR, 40, { failureCode: 'reported' }),
  ended('textverified', 'expired', 5 * HOUR, { failureCode: 'no_sms' }),
  ended('textverified', 'canceled', 6 * HOUR, { failureCode: 'canceled_by_user' }),
  ended('textverified', 'canceled', 7 * HOUR, { failureCode: 'canceled_by_user', hadNumber: false }),
  ended('textverified', 'failed', 8 * HOUR, { failureCode: 'no_numbers' }),
  ended('textverified', 'active', 5 * MINUTE),
  ended('textverified', 'pending', 1 * MINUTE),
  done('textverified', 25 * HOUR, 100),
  ended('textverified', 'expired', 3 * DAY, { failureCode: 'no_sms' }),
  ended('textverified', 'expired', 5 * DAY, { failureCode: 'no_sms' }),
  done('textverified', 8 * DAY, 5),
  done('fivesim', 30 * MINUTE, 60),
  done('fivesim', 40 * MINUTE, 90),
  ended('fivesim', 'expired', 50 * MINUTE, { failureCode: 'no_sms' }),
  done('fivesim', 6 * DAY, 120),
  ...[1, 2, 3, 4].map((i) => done('fivesim', i * HOUR, 200, { country: 'GB' })),
  ...[1, 2].map((i) => done('textverified', i * HOUR, 15, { service: 'telegram' })),
];

const figure = (orders: number, delivered: number, medianSecondsToCode: number | null) => ({
  orders,
  delivered,
  successRate: delivered / orders,
  medianSecondsToCode,
});

/** What KNOWN_ORDERS must show with KNOWN_MIN_ORDERS. */
export const KNOWN_FIGURES = {
  whatsappUsTextVerified: {
    // 24 h: 10, 20, 30, 40 delivered + expired + canceled → 4/6, median (20+30)/2.
    last24h: figure(6, 4, 25),
    // + 100 s, 2 expired → 5/9, median of 10, 20, 30, 40, 100.
    last7d: figure(9, 5, 30),
  },
  whatsappUsFivesim: {
    last24h: null, // 3 orders < 4
    last7d: figure(4, 3, 90), // 60, 90, 120
  },
  whatsappUs: {
    // 10, 20, 30, 40, 60, 90 of 9 → median (30+40)/2.
    last24h: figure(9, 6, 35),
    // 10, 20, 30, 40, 60, 90, 100, 120 of 13 → median (40+60)/2.
    last7d: figure(13, 8, 50),
  },
  whatsappGb: { last24h: figure(4, 4, 200), last7d: figure(4, 4, 200) },
  /** Every country: US and GB together. */
  whatsapp: {
    // 10, 20, 30, 40, 60, 90, 200×4 of 13 → median (60+90)/2.
    last24h: figure(13, 10, 75),
    // 10, 20, 30, 40, 60, 90, 100, 120, 200×4 of 17 → median (90+100)/2.
    last7d: figure(17, 12, 95),
  },
  telegramUs: { last24h: null, last7d: null },
} as const;
