import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { call as httpCall, parseBody } from '../../test/support/http-call.js';
import type { Buyer, BenchSystem } from './system.js';

/** The benchmark's clients against the app processes: autocannon for purchase rounds, node:http for the rest. */

type HttpAnswer = Awaited<ReturnType<typeof httpCall>>;
/** What a client saw; answers the bench makes itself (not over HTTP) carry no header or code. */
export type Answer = Pick<HttpAnswer, 'status' | 'ms' | 'body'> &
  Partial<Pick<HttpAnswer, 'retryAfter' | 'code'>>;

/** The tests' HTTP client, with a benchmark's longer deadline (queues form under load). */
export const call = (...[base, method, url, options = {}]: Parameters<typeof httpCall>): Promise<Answer> =>
  httpCall(base, method, url, { timeoutMs: 60_000, ...options });

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface RoundResult {
  count: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** Answers per HTTP status (and error code), e.g. `{"201": 2000}`. */
  statuses: Record<string, number>;
}

/**
 * Whether every answer is `expected` (or one of `alsoFine`), or load shed as the API promises it
 * (503 or 429 with Retry-After: a client comes back later, nothing was bought or charged).
 */
export function allAnswered(result: RoundResult, expected: number, alsoFine: number[] = []): boolean {
  return Object.entries(result.statuses).every(
    ([label]) =>
      label === String(expected) ||
      alsoFine.map(String).includes(label) ||
      /^(503|429) .*\(Retry-After\)$/.test(label),
  );
}

/**
 * A purchase answered 202 is pending: the provider's answer did not come in time, the money is
 * held and the reconciler finishes the order (the API's documented outcome, not an error).
 */
export const PURCHASE_PENDING = 202;

export function summarize(answers: Answer[], seconds: number): RoundResult {
  const latencies = answers.map((a) => a.ms).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const a of answers) {
    const code = (a.body.error as { code?: string } | undefined)?.code;
    let label = code && a.status >= 400 ? `${a.status} ${code}` : String(a.status);
    if (a.status === 503 || a.status === 429) label += a.retryAfter ? ' (Retry-After)' : ' (NO Retry-After)';
    statuses[label] = (statuses[label] ?? 0) + 1;
  }
  return {
    count: answers.length,
    seconds,
    perSecond: answers.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    statuses,
  };
}

export const buy = (system: BenchSystem, buyer: Buyer) =>
  call(system.base, 'POST', '/api/v1/verifications', {
    token: buyer.token,
    body: { service: 'whatsapp', country: 'US' },
    idempotencyKey: randomUUID(),
  });

/**
 * Every connection buys `perConnection` numbers one after another on a keep-alive connection of
 * its own, for its buyers in turn (`connections[i]`, see `buyerOfRequest`); all connections at
 * once. The client is autocannon's (pre-built requests on raw sockets, as load generators in the
 * field do): it costs a fraction of node:http's CPU per request, and the client shares the two
 * cores with what it measures. Latency is autocannon's, from the request's write to the last byte
 * of the answer.
 *
 * One autocannon run with a connection per concurrent buyer, not a run per buyer: a run takes
 * 6–15 ms of the client's event loop to set up, and its first request goes out at once, so 50 runs
 * started in a row kept the first answers unread for up to half a second and charged that to the
 * server's latency (every buyer's first purchase measured 400–700 ms while the server answered it
 * in ~20).
 *
 * With `rampPerConnection`, each connection first makes that many purchases more, and the first
 * answers of the round (as many) are its ramp: counted apart, so that `counted` is the steady
 * state of the same run, on connections already open. Every connection's first purchase leaves in
 * the same millisecond on a new connection, a burst no steady load has: at 50 buyers the app took
 * the 50 requests in over 216 ms and answered the last 387 ms after it was sent, against a p99 of
 * 172–266 for the rest of the round on a slow day, so a 2,000-purchase round's p99 was that burst's.
 */
export async function purchaseRound(
  system: BenchSystem,
  connections: Buyer[][],
  perConnection: number,
  { rampPerConnection = 0 } = {},
): Promise<{ counted: RoundResult; ramp: RoundResult }> {
  const run = await autocannonRound(system, connections, perConnection + rampPerConnection);
  return splitRamp(run, rampPerConnection * connections.length);
}

/**
 * Which of a connection's buyers sends its `request`-th purchase (from 0) when it sends `total`:
 * each buyer in turn, in equal blocks, one buyer's purchases one after another as a user's are.
 */
export function buyerOfRequest(buyers: number, total: number, request: number): number {
  return Math.min(buyers - 1, Math.floor(request / Math.ceil(total / buyers)));
}

export interface TimedAnswers {
  /** In the order they came. */
  answers: Answer[];
  /** When each answer came (`performance.now()`). */
  answeredAt: number[];
  started: number;
}

/**
 * The first `rampCount` answers apart from the rest; each part's rate over its own time: the ramp
 * from the start to its last answer, the counted ones from there to the last answer of all.
 */
export function splitRamp(
  { answers, answeredAt, started }: TimedAnswers,
  rampCount: number,
): { counted: RoundResult; ramp: RoundResult } {
  const rampEnd = rampCount === 0 ? started : answeredAt[rampCount - 1]!;
  return {
    ramp: summarize(answers.slice(0, rampCount), (rampEnd - started) / 1000),
    counted: summarize(answers.slice(rampCount), ((answeredAt.at(-1) ?? rampEnd) - rampEnd) / 1000),
  };
}

/** The answers of one autocannon run. */
function autocannonRound(
  system: BenchSystem,
  connections: Buyer[][],
  perConnection: number,
): Promise<TimedAnswers> {
  const answers: Answer[] = [];
  const answeredAt: number[] = [];
  const authorization = connections.map((buyers) => buyers.map((buyer) => `Bearer ${buyer.token}`));
  let nextConnection = 0;
  // Set by the request's onResponse and read by the 'response' event that autocannon emits right
  // after it, in the same tick and for the same connection (status and body there, latency here).
  let pending: Omit<Answer, 'ms'> | undefined;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${system.base}/api/v1/verifications`,
        connections: connections.length,
        // Split evenly over the connections: perConnection each.
        amount: perConnection * connections.length,
        timeout: 60,
        method: 'POST',
        body: JSON.stringify({ service: 'whatsapp', country: 'US' }),
        headers: { 'content-type': 'application/json' },
        // Each connection's buyers one after another (`buyerOfRequest`), each buyer's token on the
        // purchases it sends. autocannon emits a client's 'response' before it builds that client's
        // next request, so a change of token there applies to the next purchase.
        setupClient: (client) => {
          const tokens = authorization[nextConnection++]!;
          let answered = 0;
          let buyer = 0;
          client.setHeaders({ authorization: tokens[0]! });
          client.on('response', () => {
            const next = buyerOfRequest(tokens.length, perConnection, ++answered);
            if (next !== buyer) client.setHeaders({ authorization: tokens[(buyer = next)]! });
          });
        },
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              headers: { ...request.headers, 'idempotency-key': randomUUID() },
            }),
            onResponse: (status, body, _context, responseHeaders) => {
              const parsed = parseBody(body);
              const retryAfter = responseHeaders?.['retry-after'] ?? responseHeaders?.['Retry-After'];
              pending = {
                status,
                body: parsed,
                retryAfter: retryAfter === undefined ? null : String(retryAfter),
                code: (parsed.error as { code?: string } | undefined)?.code,
              };
            },
          },
        ],
      },
      // The round ends at its last answer (`answeredAt`), not here: autocannon reports a finished
      // run only at its next once-a-second tick, which rounded every round up to whole seconds
      // (2,000 purchases in 2.1 s were counted as 3 s: 667/s instead of 950/s).
      (error) => (error ? reject(error as Error) : resolve({ answers, answeredAt, started })),
    );
    // autocannon 9 emits (client, status, bytes, ms); its types (7.x) leave out the client.
    (instance as unknown as NodeJS.EventEmitter).on(
      'response',
      (_client: unknown, status: number, _bytes: number, ms: number) => {
        answers.push({ ...(pending ?? { status, body: {} }), ms });
        answeredAt.push(performance.now());
        pending = undefined;
      },
    );
    instance.on('reqError', (error: Error) => {
      answers.push({ status: 0, ms: 0, body: { error: String(error) } });
      answeredAt.push(performance.now());
    });
  });
}

/** `total` GETs of `url` by `concurrency` clients, each signed in as one of `buyers` in turn. */
export async function readRound(
  system: BenchSystem,
  buyers: Buyer[],
  url: string,
  total: number,
  concurrency: number,
): Promise<RoundResult> {
  const answers: Answer[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const buyer = buyers[next++ % buyers.length]!;
        answers.push(await call(system.base, 'GET', url, { token: buyer.token }));
      }
    }),
  );
  return summarize(answers, (performance.now() - started) / 1000);
}
