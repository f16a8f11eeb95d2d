/**
 * A plain HTTP client for tests and benchmarks that drive real processes: node:http on a keep-alive
 * agent (fetch cost the benchmark's client several times the CPU per request, on the same two cores
 * as the app it measures).
 */
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

export interface CallAnswer {
  status: number;
  ms: number;
  retryAfter: string | null;
  code: string | undefined;
  body: Record<string, unknown>;
}

class ClientDeadline extends Error {
  override name = 'ClientDeadline';
}

/** A JSON answer's body as an object: `{}` when empty, `{raw}` (its start) when not JSON. */
export function parseBody(text: string): Record<string, unknown> {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return { raw: text.slice(0, 200) };
  }
}

/**
 * One HTTP call of a client, with its own deadline (a hang fails it instead of the test): the
 * fault tests' and the benchmark's client. Status 0 = no HTTP answer (refused, reset), -1 = the
 * client's own deadline passed.
 */
export function call(
  base: string,
  method: string,
  url: string,
  options: { token?: string; body?: unknown; timeoutMs?: number; idempotencyKey?: string } = {},
): Promise<CallAnswer> {
  const started = performance.now();
  const payload = options.body !== undefined ? JSON.stringify(options.body) : undefined;
  const headers: Record<string, string | number> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  return new Promise((resolve) => {
    const failed = (error: Error) =>
      resolve({
        status: error instanceof ClientDeadline ? -1 : 0,
        ms: performance.now() - started,
        retryAfter: null,
        code: undefined,
        body: { error: String(error) },
      });
    const request = http.request(new URL(`${base}${url}`), { method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', failed);
      response.on('end', () => {
        clearTimeout(deadline);
        const body = parseBody(Buffer.concat(chunks).toString('utf8'));
        const retryAfter = response.headers['retry-after'];
        resolve({
          status: response.statusCode ?? 0,
          ms: performance.now() - started,
          retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
          code: (body.error as { code?: string } | undefined)?.code,
          body,
        });
      });
    });
    const deadline = setTimeout(
      () => request.destroy(new ClientDeadline(`no answer within ${options.timeoutMs ?? 30_000} ms`)),
      options.timeoutMs ?? 30_000,
    );
    request.on('error', (error) => {
      clearTimeout(deadline);
      failed(error);
    });
    request.end(payload);
  });
}
