/**
 * Outgoing webhooks of the sandbox, as TextVerified sends them (contract §A.4): JSON envelope
 * `{id, event, occurredAt, attempt, idempotencyKey, data}`, header
 * `X-Webhook-Signature: HMAC-SHA512=<base64 of HMAC over the raw body>`, 2xx = delivered,
 * anything else retried with exponential backoff.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'undici';

export interface WebhookAttemptLog {
  /** Envelope id (same for every attempt of one event). */
  id: string;
  event: string;
  url: string;
  attempt: number;
  /** Raw body exactly as sent. */
  body: string;
  signature: string;
  sentAt: Date;
  /** HTTP status received, or null on a network error / timeout. */
  status: number | null;
  error: string | null;
  delivered: boolean;
}

export interface WebhookSenderOptions {
  url: () => string | null;
  secret: () => string;
  now: () => Date;
  maxAttempts: number;
  retryBaseMs: number;
  timeoutMs: number;
  /** The events subscribed to, as in the dashboard's webhook settings; every event when unset. */
  events?: readonly string[];
}

export class WebhookSender {
  readonly log: WebhookAttemptLog[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly controllers = new Set<AbortController>();
  private closed = false;

  constructor(private readonly opts: WebhookSenderOptions) {}

  /**
   * Queues an event; returns its envelope id, or null when no webhook URL is configured or the
   * event is not subscribed to.
   */
  send(event: string, data: unknown): string | null {
    const url = this.opts.url();
    if (!url || this.closed || (this.opts.events && !this.opts.events.includes(event))) return null;
    const id = `whe_${randomUUID().replace(/-/g, '')}`;
    const occurredAt = this.opts.now().toISOString();
    void this.deliver(url, { id, event, occurredAt, idempotencyKey: id, data }, 1);
    return id;
  }

  private async deliver(
    url: string,
    envelope: { id: string; event: string; occurredAt: string; idempotencyKey: string; data: unknown },
    attempt: number,
  ): Promise<void> {
    if (this.closed) return;
    const body = JSON.stringify({
      id: envelope.id,
      event: envelope.event,
      occurredAt: envelope.occurredAt,
      attempt,
      idempotencyKey: envelope.idempotencyKey,
      data: envelope.data,
    });
    const signature = `HMAC-SHA512=${createHmac('sha512', this.opts.secret()).update(body).digest('base64')}`;
    const entry: WebhookAttemptLog = {
      id: envelope.id,
      event: envelope.event,
      url,
      attempt,
      body,
      signature,
      sentAt: this.opts.now(),
      status: null,
      error: null,
      delivered: false,
    };
    this.log.push(entry);
    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = setTimeout(() => controller.abort(), this.opts.timeoutMs);
    timer.unref();
    try {
      // undici's request, not fetch: a benchmark has the sandbox send thousands of these.
      const res = await request(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Webhook-Signature': signature,
          'User-Agent': 'TextVerified-Sandbox-Webhooks/1.0',
        },
        body,
        signal: controller.signal,
      });
      await res.body.dump().catch(() => undefined);
      entry.status = res.statusCode;
      entry.delivered = res.statusCode >= 200 && res.statusCode < 300;
      if (!entry.delivered) entry.error = `HTTP ${res.statusCode}`;
    } catch (error) {
      entry.error = (error as Error).message;
    } finally {
      clearTimeout(timer);
      this.controllers.delete(controller);
    }
    if (entry.delivered || this.closed || attempt >= this.opts.maxAttempts) return;
    const delay = this.opts.retryBaseMs * 2 ** (attempt - 1);
    const retryTimer = setTimeout(() => {
      this.timers.delete(retryTimer);
      void this.deliver(url, envelope, attempt + 1);
    }, delay);
    retryTimer.unref();
    this.timers.add(retryTimer);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
  }
}
