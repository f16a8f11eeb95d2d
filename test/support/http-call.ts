/** A plain HTTP client (fetch, keep-alive) for tests and benchmarks that drive real processes. */
/**
 * One HTTP call of a client, with its own deadline (a hang fails it instead of the test): the
 * fault tests' and the benchmark's client. Status 0 = no HTTP answer (refused, reset), -1 = the
 * client's own deadline passed.
 */
export async function call(
  base: string,
  method: string,
  url: string,
  options: { token?: string; body?: unknown; timeoutMs?: number; idempotencyKey?: string } = {},
): Promise<{
  status: number;
  ms: number;
  retryAfter: string | null;
  code: string | undefined;
  body: Record<string, unknown>;
}> {
  const started = performance.now();
  try {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : null,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { raw: text.slice(0, 200) };
    }
    return {
      status: response.status,
      ms: performance.now() - started,
      retryAfter: response.headers.get('retry-after'),
      code: (body.error as { code?: string } | undefined)?.code,
      body,
    };
  } catch (error) {
    // 0 = no HTTP answer: refused (process down) or the client's own deadline (a hang).
    const name = (error as Error).name;
    return {
      status: name === 'TimeoutError' ? -1 : 0,
      ms: performance.now() - started,
      retryAfter: null,
      code: undefined,
      body: { error: String(error) },
    };
  }
}
