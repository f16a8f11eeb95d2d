/**
 * The outbox and its delivery: events written in the caller's transaction, then claimed by workers
 * (`FOR UPDATE SKIP LOCKED` with a lease), signed and sent through the SSRF-safe sender, logged,
 * retried with backoff, and the endpoint disabled (with an e-mail) after repeated failure.
 */
import { performance } from 'node:perf_hooks';
import type { Db } from '../../platform/db/database.js';
import { webhookDisabledMail } from '../../platform/mail/templates.js';
import { OutboundRequestError, UnsafeUrlError, safeFetch } from '../../platform/net/outbound-url.js';
import type { TEST_EVENT_TYPE } from './domain.js';
import {
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  type EventType,
  RETRY_WINDOW_MS,
  SIGNATURE_HEADER,
  eventBody,
  isSuccess,
  matchesFilter,
  newEventId,
  nextAttemptAt,
  responseExcerpt,
  shouldDisable,
  signatureHeader,
} from './domain.js';
import type { WebhooksDeps } from './service.js';
import * as store from './store.js';

export const SEND_WEBHOOK_DISABLED_MAIL = 'webhooks.endpoint-disabled-mail';
export interface EndpointDisabledMail {
  userId: string;
  endpointUrl: string;
  reason: string;
  disabledAt: string;
}

export interface EmittedEvent {
  /** The event's id (`evt_…`), or null when no endpoint of the user takes this type (nothing written). */
  eventId: string | null;
  /** One delivery per subscribed endpoint. */
  deliveryIds: string[];
}

/**
 * Records an event for the user's enabled endpoints that take its type, in `tx`: the event row
 * and one delivery per endpoint commit or roll back with the caller's change, so a rolled-back
 * change never sends anything and a committed one is always sent. Nothing is written when no
 * endpoint subscribes (the purchase path pays one indexed read).
 */
export async function emitEvent(
  tx: Db,
  event: { userId: string; type: EventType | typeof TEST_EVENT_TYPE; data: Record<string, unknown> },
  options: { onlyEndpointId?: string } = {},
): Promise<EmittedEvent> {
  const endpointIds = options.onlyEndpointId
    ? [options.onlyEndpointId]
    : (await store.enabledEndpointsOf(tx, event.userId))
        .filter((endpoint) => matchesFilter(endpoint.events, event.type))
        .map((endpoint) => endpoint.id);
  if (endpointIds.length === 0) return { eventId: null, deliveryIds: [] };
  const id = newEventId();
  await store.insertEvent(tx, { id, userId: event.userId, type: event.type, data: event.data });
  const rows = await store.insertDeliveries(tx, id, endpointIds, new Date(Date.now() + RETRY_WINDOW_MS));
  return { eventId: id, deliveryIds: rows.map((row) => row.id) };
}

/** How long a claim lasts: the send deadline plus room; after it another worker may take the row. */
const DEFAULT_LEASE_SECONDS = 60;
const MAX_RESPONSE_BYTES = 1024;

export function createDelivery(deps: WebhooksDeps, secrets: { open(sealed: string): string }) {
  const { db, logger } = deps;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const leaseSeconds = deps.leaseSeconds ?? Math.max(DEFAULT_LEASE_SECONDS, Math.ceil(timeoutMs / 1000) * 3);

  async function sendDisabledMail(mail: EndpointDisabledMail): Promise<void> {
    if (!deps.mailer) {
      logger.warn({ userId: mail.userId }, 'no mailer configured; webhook-disabled e-mail not sent');
      return;
    }
    const user = await deps.accounts.findUserById(mail.userId);
    if (!user) return;
    await deps.mailer.send({
      to: user.email,
      ...webhookDisabledMail({
        email: user.email,
        endpointUrl: mail.endpointUrl,
        reason: mail.reason,
        disabledAt: new Date(mail.disabledAt),
        webhooksUrl: `${deps.publicUrl}/webhooks`,
      }),
    });
  }

  async function notifyDisabled(mail: EndpointDisabledMail): Promise<void> {
    if (deps.jobs) {
      await deps.jobs.send(SEND_WEBHOOK_DISABLED_MAIL, mail);
      return;
    }
    void sendDisabledMail(mail).catch((error: unknown) =>
      logger.error({ err: error }, 'sending the webhook-disabled e-mail failed'),
    );
  }

  /** One attempt of a claimed delivery, logged; settles the claim unless the lease was lost. */
  async function attempt(claim: store.ClaimedDelivery): Promise<void> {
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let excerpt: string | null = null;
    const user = await deps.accounts.findUserById(claim.userId);
    const allowed = user !== undefined && (await deps.tiers.get(user.tier)).webhooksAllowed;
    if (!allowed) {
      error = 'tier_required: the plan no longer includes webhooks';
    } else {
      const now = new Date();
      const body = eventBody({
        id: claim.eventId,
        type: claim.eventType,
        createdAt: claim.eventCreatedAt,
        data: claim.eventData,
      });
      const signing = [secrets.open(claim.secretSealed)];
      if (
        claim.previousSecretSealed &&
        claim.previousSecretExpiresAt &&
        claim.previousSecretExpiresAt.getTime() > now.getTime()
      ) {
        signing.push(secrets.open(claim.previousSecretSealed));
      }
      try {
        const response = await safeFetch(claim.url, {
          ...deps.outbound,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Namaskah-Webhooks/1.0',
            [SIGNATURE_HEADER]: signatureHeader(signing, Math.floor(now.getTime() / 1000), body),
            [EVENT_ID_HEADER]: claim.eventId,
            [EVENT_TYPE_HEADER]: claim.eventType,
          },
          body,
          timeoutMs,
          maxResponseBytes: MAX_RESPONSE_BYTES,
          ...(deps.lookup ? { lookup: deps.lookup } : {}),
        });
        statusCode = response.status;
        excerpt = responseExcerpt(response.body);
        if (!isSuccess(response.status)) {
          error =
            response.status >= 300 && response.status < 400
              ? `redirect not followed (HTTP ${response.status})`
              : `HTTP ${response.status}`;
        }
      } catch (caught) {
        if (caught instanceof UnsafeUrlError) error = `unsafe_url: ${caught.reason}`;
        else if (caught instanceof OutboundRequestError) error = `${caught.kind}: ${caught.message}`;
        else error = `error: ${(caught as Error).message ?? 'unknown'}`;
      }
    }
    const durationMs = Math.round(performance.now() - started);
    const succeeded = error === null;
    const retryAt = succeeded || !allowed ? null : nextAttemptAt(claim.attempts, new Date(), claim.giveUpAt);

    const disabled = await db.transaction(async (tx) => {
      await store.insertAttempt(tx, {
        deliveryId: claim.id,
        statusCode,
        durationMs,
        error,
        responseExcerpt: excerpt,
        nextRetryAt: retryAt,
      });
      const owned = await store.settleDelivery(tx, claim.id, claim.leaseToken, {
        status: succeeded ? 'succeeded' : retryAt ? 'pending' : 'failed',
        nextAttemptAt: retryAt,
        lastStatusCode: statusCode,
        lastError: error,
      });
      if (!owned || !allowed) return undefined;
      if (succeeded) {
        await store.recordEndpointSuccess(tx, claim.endpointId);
        return undefined;
      }
      const endpoint = await store.recordEndpointFailure(tx, claim.endpointId);
      if (!endpoint || !endpoint.enabled || !shouldDisable(endpoint, new Date())) return undefined;
      const reason = `${endpoint.consecutiveFailures} consecutive failed deliveries (last: ${error})`;
      if (!(await store.disableEndpoint(tx, endpoint.id, reason))) return undefined;
      return {
        userId: endpoint.userId,
        endpointUrl: endpoint.url,
        reason,
        disabledAt: new Date().toISOString(),
      };
    });
    if (disabled) {
      logger.warn({ endpointId: claim.endpointId }, 'webhook endpoint disabled after repeated failures');
      await notifyDisabled(disabled);
    }
  }

  return {
    sendDisabledMail,
    /** Claims up to `limit` due deliveries and sends them; the number claimed. */
    async deliverDue(limit = 10): Promise<number> {
      const claims = await store.claimDeliveries(db, { limit, leaseSeconds });
      await Promise.all(
        claims.map((claim) =>
          attempt(claim).catch((error: unknown) =>
            // The lease runs out and another pass retries it.
            logger.error({ err: error, deliveryId: claim.id }, 'webhook delivery attempt failed to settle'),
          ),
        ),
      );
      return claims.length;
    },
    /** Sends one pending delivery now (test event, redelivery), through the same path. */
    async deliverNow(deliveryId: string): Promise<void> {
      const [claim] = await store.claimDeliveries(db, { limit: 1, leaseSeconds, only: deliveryId });
      if (claim) await attempt(claim);
    },
  };
}
