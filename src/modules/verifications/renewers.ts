/**
 * What each provider offers for renewing a completed order's number (reuse, reactivation), behind
 * one shape so that a second provider plugs in by adding its entry to `renewerOf`. A provider
 * without an entry offers neither (its orders answer `reuse_not_available`).
 */
import {
  FiveSimError,
  isFiveSimError,
  type FiveSimClient,
  type FiveSimOrder,
} from '../../providers/fivesim/index.js';
import { isTextVerifiedError, toE164, type TextVerifiedClient } from '../../providers/textverified/index.js';
import type { VerificationDeps } from './deps.js';
import { type ProviderName, type Refusal, type Renewal, refusalOf } from './domain.js';
import * as store from './store.js';

/** The provider's order that a renewal created. */
export interface RenewedNumber {
  /** The renewal's own order id at the provider. */
  providerId: string;
  e164: string;
  endsAt: Date;
}

export interface Eligibility {
  /** Reuse is offered until this instant (null: not offered now). */
  reusableUntil: Date | null;
  canReactivate: boolean;
}

/** How a failed renewal call is read: refused (nothing bought) or unknown (maybe bought). */
export type RenewalFailure = { refused: true; refusal: Refusal | 'not_eligible' } | { refused: false };

export interface Renewer {
  eligibility(providerId: string): Promise<Eligibility>;
  renew(providerId: string, renewal: Renewal): Promise<RenewedNumber>;
  classify(error: unknown): RenewalFailure;
  /**
   * After an unknown outcome (the renewal call has no idempotency key upstream): the provider's
   * order on `phoneNumber` created since `since` that no order of ours holds yet, if any.
   */
  findCreated(
    deps: VerificationDeps,
    q: { originalProviderId: string; phoneNumber: string; service: string; since: Date },
  ): Promise<RenewedNumber | null>;
}

function textVerifiedRenewer(client: TextVerifiedClient): Renewer {
  return {
    async eligibility(providerId) {
      const v = await client.getVerification(providerId);
      const now = Date.now();
      return {
        reusableUntil: v.reusableUntil && v.reusableUntil.getTime() > now ? v.reusableUntil : null,
        canReactivate: v.canReactivate,
      };
    },
    async renew(providerId, renewal) {
      const v =
        renewal === 'reuse'
          ? await client.reuseVerification(providerId)
          : await client.reactivateVerification(providerId);
      return { providerId: v.id, e164: v.e164, endsAt: v.endsAt };
    },
    classify(error) {
      if (!isTextVerifiedError(error) || error.ambiguous) return { refused: false };
      if (error.kind === 'not_eligible') return { refused: true, refusal: 'not_eligible' };
      const refusal = refusalOf(error);
      return refusal ? { refused: true, refusal } : { refused: false };
    },
    async findCreated(deps, q) {
      const candidates = (await client.listVerifications())
        .filter(
          (v) =>
            v.id !== q.originalProviderId &&
            toE164(v.number) === q.phoneNumber &&
            v.serviceName.toLowerCase() === q.service.toLowerCase() &&
            v.createdAt.getTime() >= q.since.getTime(),
        )
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      for (const candidate of candidates) {
        if (await store.findByProviderId(deps.db, 'textverified', candidate.id)) continue;
        const v = await client.getVerification(candidate.id);
        return { providerId: v.id, e164: v.e164, endsAt: v.endsAt };
      }
      return null;
    },
  };
}

/**
 * 5sim's reuse (contract §B.2 `/user/reuse/{product}/{number}`): a new order on the same number at
 * the product's price, no reactivation. 5sim publishes no offer to read, so eligibility is worked
 * out from the order as 5sim (and its sandbox) decide it (docs/reuse.md): the order received an SMS
 * and was not canceled or banned, its first SMS is less than the reuse window old, and no later
 * order of ours has the number (a reuse moves it on). Numbers are bought with `reuse=1`
 * (routing's 5sim upstream); one bought without it looks eligible here and is refused by 5sim
 * (`reuse false`) after the hold, which is then released.
 */
function fiveSimRenewer(client: FiveSimClient): Renewer {
  const OPEN_OR_DONE = new Set(['pending', 'received', 'finished']);
  const sameNumber = (a: FiveSimOrder, b: FiveSimOrder) => a.phone === b.phone && a.product === b.product;
  return {
    async eligibility(providerId) {
      const order = await client.checkOrder(providerId);
      const first = order.sms.reduce<Date | null>(
        (min, m) => (min && min.getTime() <= m.createdAt.getTime() ? min : m.createdAt),
        null,
      );
      const until = first ? new Date(first.getTime() + client.reuseWindowMs) : null;
      const none = { reusableUntil: null, canReactivate: false };
      if (!until || until.getTime() <= Date.now() || !OPEN_OR_DONE.has(order.status)) return none;
      // The newest orders are listed first; a later one on the number has taken it over.
      const later = (await client.listOrders({ limit: 100 })).some(
        (o) => o.id !== order.id && sameNumber(o, order) && Number(o.id) > Number(order.id),
      );
      return later ? none : { reusableUntil: until, canReactivate: false };
    },
    async renew(providerId, renewal) {
      if (renewal !== 'reuse') {
        // Never reached: eligibility offers no reactivation at 5sim.
        throw new FiveSimError('not_eligible', '5sim offers no reactivation');
      }
      const order = await client.checkOrder(providerId);
      // 5sim reuses the number of a finished order; ours stays open at 5sim until its window ends
      // (the code was all we needed), so it is finished first. It has its SMS: nothing is lost.
      if ((order.status === 'received' || order.status === 'pending') && order.sms.length > 0) {
        await client.finishOrder(providerId);
      }
      const reused = await client.reuse(order.product, order.phone);
      return { providerId: reused.id, e164: reused.phone, endsAt: reused.expiresAt };
    },
    classify(error) {
      if (!isFiveSimError(error) || error.ambiguous) return { refused: false };
      if (error.kind === 'not_eligible') return { refused: true, refusal: 'not_eligible' };
      const refusal = refusalOf(error);
      return refusal ? { refused: true, refusal } : { refused: false };
    },
    async findCreated(deps, q) {
      const product = q.service.toLowerCase();
      const candidates = (await client.listOrders({ limit: 100 }))
        .filter(
          (o) =>
            o.id !== q.originalProviderId &&
            o.phone === q.phoneNumber &&
            o.product === product &&
            o.createdAt.getTime() >= q.since.getTime(),
        )
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      for (const candidate of candidates) {
        if (await store.findByProviderId(deps.db, 'fivesim', candidate.id)) continue;
        return { providerId: candidate.id, e164: candidate.phone, endsAt: candidate.expiresAt };
      }
      return null;
    },
  };
}

/** The renewer of `provider`, or undefined when it offers no renewal (or is not configured). */
export function renewerOf(deps: VerificationDeps, provider: ProviderName): Renewer | undefined {
  switch (provider) {
    case 'textverified':
      return deps.textVerified ? textVerifiedRenewer(deps.textVerified) : undefined;
    case 'fivesim':
      return deps.fiveSim ? fiveSimRenewer(deps.fiveSim) : undefined;
    default:
      return undefined;
  }
}

/** How far before the order's creation a renewal upstream may be stamped (clock skew). */
const SKEW_MS = 60_000;

/**
 * The provider's order a renewal order created, looked up after an unknown outcome (never by
 * renewing again); null when nothing was created. Throws when the provider cannot be read.
 */
export async function findRenewalOf(
  deps: VerificationDeps,
  order: store.VerificationRow,
): Promise<RenewedNumber | null> {
  const original = order.reusedFrom ? await store.findById(deps.db, order.reusedFrom) : undefined;
  const renewer = renewerOf(deps, order.provider);
  if (!original?.providerId || !original.phoneNumber || !renewer) {
    throw new Error(`renewal ${order.id}: its original or its provider is not available`);
  }
  return renewer.findCreated(deps, {
    originalProviderId: original.providerId,
    phoneNumber: original.phoneNumber,
    service: original.service,
    since: new Date(order.createdAt.getTime() - SKEW_MS),
  });
}

/** What the order view shows of a completed order's renewal offer (null: none, or unknown now). */
export interface RenewalOffer {
  reusableUntil: Date | null;
  canReactivate: boolean;
}

/** A read of the provider on every view of an order would be one call per poll: kept briefly. */
const OFFER_TTL_MS = 10_000;
/** A view waits this long for the provider at most; a slow provider shows no offer, not a slow page. */
const OFFER_WAIT_MS = 1_500;
const OFFER_CACHE_MAX = 1_000;
const offers = new Map<string, { at: number; offer: RenewalOffer | null }>();

/**
 * The provider's current renewal offer for a completed order, for its view (the web app's reuse
 * and reactivate buttons). Never throws: an unreadable provider is "no offer shown".
 */
export async function renewalOfferOf(
  deps: VerificationDeps,
  order: store.VerificationRow,
): Promise<RenewalOffer | null> {
  const renewer = order.status === 'completed' ? renewerOf(deps, order.provider) : undefined;
  if (!renewer || !order.providerId) return null;
  const cached = offers.get(order.id);
  const now = Date.now();
  // Kept briefly, and never past the end of the reuse window it shows.
  const reuseEnded = (cached?.offer?.reusableUntil?.getTime() ?? Infinity) <= now;
  if (cached && now - cached.at < OFFER_TTL_MS && !reuseEnded) return cached.offer;
  let timer: NodeJS.Timeout | undefined;
  const offer = await Promise.race([
    renewer.eligibility(order.providerId).then(
      (e): RenewalOffer | null => ({ reusableUntil: e.reusableUntil, canReactivate: e.canReactivate }),
      () => null,
    ),
    new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), OFFER_WAIT_MS);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
  rememberRenewalOffer(order.id, offer);
  return offer;
}

/** What the provider just said of the order's offer (a renewal asks before holding anything). */
export function rememberRenewalOffer(orderId: string, offer: RenewalOffer | null): void {
  offers.delete(orderId);
  if (offers.size >= OFFER_CACHE_MAX) offers.delete(offers.keys().next().value!);
  offers.set(orderId, { at: Date.now(), offer });
}

/** After a renewal of `orderId` the offer changed: the next view asks the provider again. */
export const forgetRenewalOffer = (orderId: string) => void offers.delete(orderId);
