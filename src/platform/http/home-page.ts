import type { FastifyInstance } from 'fastify';

/**
 * Until the web app lands, `/` tells a visitor where things are instead of answering a bare 404.
 * Plain HTML: no script, no inline style, so the strict CSP holds.
 */
export function registerHomePage(app: FastifyInstance, options: { embedded: boolean }): void {
  const links = [
    ['/api/docs', 'API reference (OpenAPI)'],
    ['/api/v1/catalog/services', 'Service catalogue (JSON)'],
    ['/healthz', 'Health'],
    ...(options.embedded ? [['/_sandbox/mail/', 'Sandbox mail inbox (confirmation and reset e-mails)']] : []),
  ];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Namaskah</title></head>
<body><main>
<h1>Namaskah</h1>
<p>One-time phone numbers for SMS verification codes, paid from a prepaid wallet and refunded when no code arrives.</p>
<ul>${links.map(([href, text]) => `<li><a href="${href}">${text}</a></li>`).join('')}</ul>
</main></body></html>`;
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(html),
  );
}
