/**
 * `POST /api/v1/hooks/textverified`: the provider's signed webhook (contract §A.4). Raw body,
 * `X-Webhook-Signature: HMAC-SHA512=<base64>` checked in constant time (401 when wrong), then the
 * SMS goes through the same idempotent intake as the poller, and the answer is a quick 200.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../platform/errors.js';
import type { Config } from '../../platform/config.js';
import {
  isTextVerifiedError,
  parseWebhookEvent,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
} from '../../providers/textverified/index.js';
import type { VerificationsService } from './service.js';

export function registerTextVerifiedHook(
  app: FastifyInstance,
  deps: { config: Pick<Config, 'textVerified'>; verifications: VerificationsService },
): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: 64 * 1024 },
      (_request, body, done) => done(null, body),
    );
    scope.post('/api/v1/hooks/textverified', { schema: { hide: true } }, async (request, reply) => {
      const secret = deps.config.textVerified.webhookSecret;
      if (!secret)
        throw new AppError(503, 'service_unavailable', 'TextVerified webhooks are not configured.');
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.from('');
      if (!verifyWebhookSignature(raw, request.headers[WEBHOOK_SIGNATURE_HEADER], secret)) {
        throw new AppError(401, 'invalid_signature', 'The webhook signature is not valid.');
      }
      let event;
      try {
        event = parseWebhookEvent(raw);
      } catch (error) {
        if (isTextVerifiedError(error)) throw new AppError(400, 'validation_failed', error.message);
        throw error;
      }
      if (event.type === 'sms.received' && event.sms.reservationId) {
        const outcome = await deps.verifications.intakeSms({
          provider: 'textverified',
          reservationId: event.sms.reservationId,
          to: event.sms.to,
          createdAt: event.sms.createdAt ?? event.occurredAt ?? new Date(),
          text: event.sms.text,
          parsedCode: event.sms.parsedCode,
          from: event.sms.from,
        });
        request.log.info({ outcome, event: event.event }, 'TextVerified webhook');
      }
      return reply.status(200).send({ received: true });
    });
  });
}
