import { call } from './load.js';
import type { BenchSystem } from './system.js';

/**
 * One SSE stream followed across instances: the stream is opened on the first instance, the
 * code arrives through TextVerified's webhook at another (the sandbox sends its webhooks to the
 * second instance), and the stream must show it. Answers how long that took, from the SMS.
 */
export async function sseAcrossInstances(
  system: BenchSystem,
): Promise<{ streamOn: number; webhookTo: number; ms: number }> {
  const [buyer] = await system.buyers(1);
  await system.fund(buyer!.userId, 10_000);
  const streamBase = system.instances[0]!;
  const webhookTo = Math.min(1, system.instances.length - 1);
  const bought = await call(streamBase, 'POST', '/api/v1/verifications', {
    token: buyer!.token,
    body: { service: 'whatsapp', country: 'US' },
    idempotencyKey: crypto.randomUUID(),
  });
  if (bought.status !== 201) throw new Error(`SSE check: purchase answered ${bought.status}`);
  const orderId = String(bought.body.id);
  const abort = new AbortController();
  const response = await fetch(`${streamBase}/api/v1/verifications/${orderId}/events`, {
    headers: { authorization: `Bearer ${buyer!.token}`, accept: 'text/event-stream' },
    signal: abort.signal,
  });
  if (response.status !== 200 || !response.body) throw new Error(`SSE answered ${response.status}`);
  const code = String(100_000 + Math.floor(Math.random() * 900_000));
  let seen = '';
  const reading = (async () => {
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      seen += decoder.decode(value, { stream: true });
      if (seen.includes(code)) return true;
    }
  })().catch(() => false);
  const { rows } = await system.database.sql.query('select provider_id from verifications where id = $1', [
    orderId,
  ]);
  const providerId = String(rows[0]!.provider_id);
  // Let the stream subscribe before the SMS comes.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const sent = performance.now();
  await system.tvControl('POST', `/verifications/${encodeURIComponent(providerId)}/sms`, {
    text: `Your WhatsApp code is ${code}`,
    code,
  });
  const timer = setTimeout(() => abort.abort(), 30_000);
  const found = await reading;
  clearTimeout(timer);
  const ms = performance.now() - sent;
  abort.abort();
  if (!found)
    throw new Error(`the SSE stream on instance 1 never showed the code (saw: ${seen.slice(-300)})`);
  return { streamOn: 1, webhookTo: webhookTo + 1, ms };
}
