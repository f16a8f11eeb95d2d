import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** The built web app (`npm run build:web`, SPEC §11). */
export const WEB_DIST = path.resolve(import.meta.dirname, '../../../web/dist');

/**
 * The paths of SPEC §11 the single-page app answers (it routes them in the browser). Every link
 * the product sends lands on one of these; anything else that matches no route stays a 404.
 */
export const WEB_APP_ROUTES = [
  '/',
  '/pricing',
  '/register',
  '/login',
  '/confirm-email',
  '/reset-password',
  '/forgot-password',
  '/dashboard',
  '/verify',
  '/history',
  '/wallet',
  '/plans',
  '/api-keys',
  '/webhooks',
  '/settings',
  '/settings/*',
  '/admin',
  '/admin/*',
] as const;

const IMMUTABLE_SECONDS = 31_536_000;

export interface WebAppOptions {
  /** Embedded mode: the page shows a banner linking the sandbox mail inbox. */
  embedded: boolean;
  sandboxMailUrl?: string;
  dist?: string;
}

/**
 * Serves the web app from `web/dist`: content-hashed `/assets/*` cached for a year, `index.html`
 * revalidated on every load (so a deploy is picked up at once), and `GET /api/v1/meta`, which tells
 * the page what the server cannot write into static HTML (the CSP allows no inline script).
 */
export async function registerWebApp(app: FastifyInstance, options: WebAppOptions): Promise<void> {
  const dist = options.dist ?? WEB_DIST;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/meta',
    {
      schema: {
        tags: ['meta'],
        summary: 'What the web app needs to know about this server',
        response: { 200: z.object({ embedded: z.boolean(), sandboxMailUrl: z.string().nullable() }) },
      },
    },
    async () => ({
      embedded: options.embedded,
      sandboxMailUrl: options.embedded ? (options.sandboxMailUrl ?? null) : null,
    }),
  );

  const sendIndex = async (reply: FastifyReply) => {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the build folder, fixed at start
    if (!existsSync(path.join(dist, 'index.html'))) {
      return reply
        .status(503)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(
          '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Namaskah</title></head><body><main><h1>The web app is not built</h1><p>Run <code>npm run build:web</code> (or <code>npm start</code>, which builds it) and reload. The API is at <a href="/api/docs">/api/docs</a>.</p></main></body></html>',
        );
    }
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .sendFile('index.html', dist, { cacheControl: false });
  };
  /*
   * The app's files are the same for everybody, so no credential is read for them: a suspended
   * person's browser still loads the page that tells them so (the authentication hook would answer
   * 403 in JSON for the page and its scripts), and no asset costs a session lookup.
   */
  await app.register(async (files) => {
    files.addHook('onRoute', (route) => {
      route.config = { ...route.config, ownCredential: true };
    });
    await files.register(fastifyStatic, {
      root: path.join(dist, 'assets'),
      prefix: '/assets/',
      index: false,
      // Names carry a content hash: a changed file is a new URL, so a year's cache is safe.
      immutable: true,
      maxAge: IMMUTABLE_SECONDS * 1000,
    });

    // Files at the top of the build (favicon): stable names, so revalidated rather than immutable.
    files.get('/favicon.svg', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .header('cache-control', 'public, max-age=86400')
        .sendFile('favicon.svg', dist, { cacheControl: false }),
    );

    for (const route of WEB_APP_ROUTES) {
      files.get(route, { schema: { hide: true }, config: { pageShell: true } }, async (_request, reply) =>
        sendIndex(reply),
      );
    }
  });
}
