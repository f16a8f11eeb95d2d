/** Reading orders: one with its messages, a user's list, and the change notices of one order. */
import { notFound, validationFailed } from '../../platform/errors.js';
import type { VerificationDeps } from './deps.js';
import { type VerificationStatus, decodeCursor, encodeCursor } from './domain.js';
import { renewalOfferOf } from './renewers.js';
import * as store from './store.js';
import { toView, type VerificationView } from './views.js';

export interface ListQuery {
  statuses?: VerificationStatus[];
  service?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string | undefined;
  limit: number;
}

export async function getVerification(
  deps: VerificationDeps,
  userId: string,
  id: string,
): Promise<VerificationView> {
  const order = await store.findForUser(deps.db, id, userId);
  if (!order) throw notFound('Verification');
  const [messages, offer] = await Promise.all([store.messagesOf(deps.db, id), renewalOfferOf(deps, order)]);
  const view = toView(order, messages);
  if (order.status !== 'completed') return view;
  return {
    ...view,
    renewable: offer && {
      reusableUntil: offer.reusableUntil?.toISOString() ?? null,
      canReactivate: offer.canReactivate,
    },
  };
}

/** The caller's order by its serial (the SMS-Activate activation id), with its messages. */
export async function findBySerial(deps: VerificationDeps, userId: string, serial: number) {
  const order = await store.findBySerialForUser(deps.db, serial, userId);
  if (!order) return undefined;
  return { order, messages: await store.messagesOf(deps.db, order.id) };
}

/** One page, newest first, and the cursor of the next one (null on the last page; one row more was read). */
export async function listVerifications(deps: VerificationDeps, userId: string, query: ListQuery) {
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (before === null) throw validationFailed('cursor is invalid.', { field: 'cursor' });
  const rows = await store.listForUser(deps.db, userId, {
    ...(query.statuses ? { statuses: query.statuses } : {}),
    ...(query.service ? { service: query.service } : {}),
    ...(before ? { before } : {}),
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    rows: page.map(({ row }) => row),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last.cursorAt, last.row.id) : null,
  };
}

/** The caller's own order (undefined for another user's or an unknown id), for the event stream. */
export const ownOrder = (deps: VerificationDeps, userId: string, id: string) =>
  store.findForUser(deps.db, id, userId);

export const messagesOf = (deps: VerificationDeps, id: string) => store.messagesOf(deps.db, id);

/** Calls `listener` when the order changes (on any instance); returns the unsubscribe. */
export const subscribe = (deps: VerificationDeps, id: string, listener: () => void) =>
  deps.events.subscribe(id, listener);
