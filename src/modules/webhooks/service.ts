/** Developer webhooks (SPEC §7): endpoints, their secrets, test events, the delivery log, redelivery. */
import type { Db } from '../../platform/db/database.js';
import { AppError, notFound, validationFailed } from '../../platform/errors.js';
import type { Jobs } from '../../platform/jobs.js';
import type { Logger } from '../../platform/logger.js';
import type { Mailer } from '../../platform/mail/mailer.js';
import {
  type LookupAll,
  type OutboundUrlPolicy,
  assertSafeWebhookUrl,
  resolveSafeAddresses,
} from '../../platform/net/outbound-url.js';
import { type AccountsService, type AppSecrets, createSealer } from '../accounts/index.js';
import type { TiersService } from '../tiers/index.js';
import { createDelivery, emitEvent } from './delivery.js';
import {
  RETRY_WINDOW_MS,
  ROTATION_OVERLAP_MS,
  TEST_EVENT_TYPE,
  newEndpointSecret,
  normalizeFilter,
} from './domain.js';
import * as store from './store.js';
import { describeDelivery, describeEndpoint } from './views.js';
import { SEALED_WEBHOOK_SECRETS } from './schema.js';

export interface WebhooksDeps {
  db: Db;
  tiers: Pick<TiersService, 'get'>;
  accounts: Pick<AccountsService, 'findUserById'>;
  mailer: Mailer | undefined;
  /** The disabled-endpoint e-mail goes through its queue; without one it is sent in the background. */
  jobs: Jobs | undefined;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** APP_SECRET (and its fallbacks during a rotation): the endpoints' signing secrets are sealed with it. */
  secrets: AppSecrets;
  publicUrl: string;
  /** https only in production; private targets only with the local-use flag. */
  outbound: OutboundUrlPolicy;
  /** A resolver for the SSRF checks (tests); the system's by default. */
  lookup?: LookupAll;
  /** Deadline of one delivery attempt; 10 s by default. */
  timeoutMs?: number;
  /** How long a claim lasts before another worker may take the delivery. */
  leaseSeconds?: number;
}

/** An account holds at most this many endpoints. */
export const MAX_ENDPOINTS = 16;

export function createWebhooksService(deps: WebhooksDeps) {
  const { db } = deps;
  const secrets = createSealer(deps.secrets, SEALED_WEBHOOK_SECRETS.purpose);
  const delivery = createDelivery(deps, secrets);

  /** The tier row decides (SPEC §6): freemium has no webhooks. */
  async function assertWebhooksAllowed(tier: string): Promise<void> {
    if (!(await deps.tiers.get(tier)).webhooksAllowed) {
      throw new AppError(403, 'tier_required', 'Webhooks are not part of your plan; upgrade to use them.');
    }
  }

  /** The SSRF checks of the sender, at save time: syntax, then every address the name resolves to. */
  async function checkUrl(url: string): Promise<string> {
    const parsed = assertSafeWebhookUrl(url, deps.outbound);
    await resolveSafeAddresses(parsed.hostname, deps.outbound, deps.lookup);
    return parsed.href;
  }

  async function ownedEndpoint(userId: string, id: string) {
    const endpoint = await store.endpointOf(db, userId, id);
    if (!endpoint) throw notFound('Webhook endpoint');
    return endpoint;
  }

  async function deliveryView(userId: string, deliveryId: string) {
    const row = await store.deliveryOf(db, userId, deliveryId);
    if (!row) throw notFound('Webhook delivery');
    return describeDelivery(row, await store.attemptsOf(db, [row.id]));
  }

  return {
    emitEvent,

    async createEndpoint(input: {
      userId: string;
      tier: string;
      url: string;
      description?: string | undefined;
      events: string[];
    }) {
      await assertWebhooksAllowed(input.tier);
      const url = await checkUrl(input.url);
      if ((await store.endpointsOf(db, input.userId)).length >= MAX_ENDPOINTS) {
        throw validationFailed(`An account may have at most ${MAX_ENDPOINTS} webhook endpoints.`);
      }
      const secret = newEndpointSecret();
      const row = await store.insertEndpoint(db, {
        userId: input.userId,
        url,
        description: input.description ?? '',
        events: normalizeFilter(input.events),
        secretSealed: secrets.seal(secret),
      });
      return { ...describeEndpoint(row), secret };
    },

    async listEndpoints(userId: string) {
      return (await store.endpointsOf(db, userId)).map((row) => describeEndpoint(row));
    },

    async updateEndpoint(
      userId: string,
      tier: string,
      id: string,
      patch: {
        url?: string | undefined;
        description?: string | undefined;
        events?: string[] | undefined;
        enabled?: boolean | undefined;
      },
    ) {
      await assertWebhooksAllowed(tier);
      await ownedEndpoint(userId, id);
      const row = await store.updateEndpoint(db, userId, id, {
        ...(patch.url !== undefined ? { url: await checkUrl(patch.url) } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.events !== undefined ? { events: normalizeFilter(patch.events) } : {}),
        // Enabling again starts the failure count afresh.
        ...(patch.enabled === true
          ? {
              enabled: true,
              disabledReason: null,
              disabledAt: null,
              consecutiveFailures: 0,
              failingSince: null,
            }
          : patch.enabled === false
            ? { enabled: false }
            : {}),
      });
      if (!row) throw notFound('Webhook endpoint');
      return describeEndpoint(row);
    },

    async deleteEndpoint(userId: string, id: string): Promise<void> {
      if (!(await store.deleteEndpoint(db, userId, id))) throw notFound('Webhook endpoint');
    },

    /** A new secret, shown once; the replaced one keeps signing (a second `v1`) for 24 h. */
    async rotateSecret(userId: string, tier: string, id: string) {
      await assertWebhooksAllowed(tier);
      const endpoint = await ownedEndpoint(userId, id);
      const secret = newEndpointSecret();
      const row = await store.updateEndpoint(db, userId, id, {
        secretSealed: secrets.seal(secret),
        previousSecretSealed: endpoint.secretSealed,
        previousSecretExpiresAt: new Date(Date.now() + ROTATION_OVERLAP_MS),
      });
      if (!row) throw notFound('Webhook endpoint');
      return { ...describeEndpoint(row), secret };
    },

    /** A `webhook.test` event to this endpoint alone, sent at once through the delivery path. */
    async sendTestEvent(userId: string, tier: string, id: string) {
      await assertWebhooksAllowed(tier);
      await ownedEndpoint(userId, id);
      const deliveryId = await db.transaction(async (tx) => {
        const emitted = await emitEvent(
          tx,
          {
            userId,
            type: TEST_EVENT_TYPE,
            data: { endpointId: id, message: 'A test event from Namaskah.' },
          },
          { onlyEndpointId: id },
        );
        return emitted.deliveryIds[0]!;
      });
      await delivery.deliverNow(deliveryId);
      return deliveryView(userId, deliveryId);
    },

    async listDeliveries(
      userId: string,
      endpointId: string,
      page: { cursor?: number | undefined; limit: number },
    ) {
      await ownedEndpoint(userId, endpointId);
      const rows = await store.deliveriesPage(db, endpointId, page.cursor, page.limit + 1);
      const shown = rows.slice(0, page.limit);
      const attempts = await store.attemptsOf(
        db,
        shown.map((row) => row.id),
      );
      return {
        data: shown.map((row) => describeDelivery(row, attempts)),
        nextCursor: rows.length > page.limit ? String(shown.at(-1)!.seq) : null,
      };
    },

    /** A new delivery of the same event (same event id) to the same endpoint, sent at once. */
    async redeliver(userId: string, tier: string, deliveryId: string) {
      await assertWebhooksAllowed(tier);
      const original = await store.deliveryOf(db, userId, deliveryId);
      if (!original) throw notFound('Webhook delivery');
      const [created] = await store.insertDeliveries(
        db,
        original.eventId,
        [original.endpointId],
        new Date(Date.now() + RETRY_WINDOW_MS),
      );
      await delivery.deliverNow(created!.id);
      return deliveryView(userId, created!.id);
    },

    /** Claims and sends due deliveries (the delivery job); the number claimed. */
    deliverDue: delivery.deliverDue,
    sendDisabledMail: delivery.sendDisabledMail,
  };
}
export type WebhooksService = ReturnType<typeof createWebhooksService>;
