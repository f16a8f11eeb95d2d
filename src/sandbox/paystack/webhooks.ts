import { createHmac } from 'node:crypto';

/**
 * Sends webhooks the way Paystack does: POST, JSON body, `x-paystack-signature` = hex
 * HMAC-SHA512 of the exact body bytes with the secret key. A delivery is a success on 200;
 * anything else (or a timeout) is retried after the configured delays, then given up.
 */

export interface WebhookAttempt {
  at: string;
  status: number | null;
  error: string | null;
  responseBody: string;
}

export interface WebhookDelivery {
  id: number;
  event: string | null;
  reference: string | null;
  url: string | null;
  body: string;
  signature: string | null;
  /** `skipped` = no webhook URL was configured. */
  state: 'pending' | 'delivered' | 'failed' | 'skipped';
  attempts: WebhookAttempt[];
}

export interface WebhookSendOptions {
  /** true: sign with the secret key; false: no header; a string: send exactly that header. */
  signature?: boolean | string;
}

export interface WebhookDispatcherOptions {
  secretKey: string;
  /** Delay before each retry; attempts = length + 1. */
  retryDelaysMs: number[];
  timeoutMs: number;
}

function signBody(body: string, secretKey: string): string {
  return createHmac('sha512', secretKey).update(Buffer.from(body, 'utf8')).digest('hex');
}

export class WebhookDispatcher {
  private readonly deliveries: WebhookDelivery[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly abort = new AbortController();
  private nextId = 1;
  private closed = false;
  url: string | undefined;

  constructor(
    private readonly options: WebhookDispatcherOptions,
    url: string | undefined,
  ) {
    this.url = url;
  }

  /** Starts a delivery in the background; the promise resolves once it is delivered or given up. */
  send(body: string, options: WebhookSendOptions = {}): { delivery: WebhookDelivery; done: Promise<void> } {
    let event: string | null = null;
    let reference: string | null = null;
    try {
      const parsed = JSON.parse(body) as {
        event?: unknown;
        data?: { reference?: unknown; transaction_reference?: unknown };
      };
      if (typeof parsed.event === 'string') event = parsed.event;
      const ref = parsed.data?.reference ?? parsed.data?.transaction_reference;
      if (typeof ref === 'string') reference = ref;
    } catch {
      // arbitrary bodies are allowed (tests send garbage on purpose)
    }
    const signatureOption = options.signature ?? true;
    const delivery: WebhookDelivery = {
      id: this.nextId++,
      event,
      reference,
      url: this.url ?? null,
      body,
      signature:
        signatureOption === true
          ? signBody(body, this.options.secretKey)
          : signatureOption === false
            ? null
            : signatureOption,
      state: this.url && !this.closed ? 'pending' : 'skipped',
      attempts: [],
    };
    this.deliveries.push(delivery);
    if (delivery.state === 'skipped') return { delivery, done: Promise.resolve() };
    const done = this.run(delivery).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
    return { delivery, done };
  }

  list = (): WebhookDelivery[] => this.deliveries.map((d) => ({ ...d, attempts: [...d.attempts] }));

  /** Resolves when no delivery (including its retries) is in progress. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  clear() {
    this.deliveries.length = 0;
  }

  close() {
    this.closed = true;
    this.abort.abort();
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.resolve();
    }
    this.sleepers.clear();
  }

  private async run(delivery: WebhookDelivery): Promise<void> {
    const delays = this.options.retryDelaysMs;
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) await this.sleep(delays[attempt - 1] ?? 0);
      if (this.closed) break;
      const ok = await this.attempt(delivery);
      if (ok) {
        delivery.state = 'delivered';
        return;
      }
    }
    delivery.state = 'failed';
  }

  private async attempt(delivery: WebhookDelivery): Promise<boolean> {
    const record: WebhookAttempt = {
      at: new Date().toISOString(),
      status: null,
      error: null,
      responseBody: '',
    };
    delivery.attempts.push(record);
    try {
      const response = await fetch(delivery.url ?? '', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Paystack-Sandbox/1.0',
          ...(delivery.signature === null ? {} : { 'x-paystack-signature': delivery.signature }),
        },
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.abort.signal]),
      });
      record.status = response.status;
      record.responseBody = (await response.text()).slice(0, 2000);
      return response.status === 200;
    } catch (error) {
      record.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms).unref(),
        resolve,
      };
      this.sleepers.add(sleeper);
    });
  }
}
