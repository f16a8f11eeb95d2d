/**
 * The sandbox inbox: server-rendered pages over an SMTP catcher (works without JavaScript, no
 * inline script or style, everything escaped) and a small JSON API for tests.
 *
 *   GET    <prefix>/                  list, newest first (optional ?to= filter)
 *   GET    <prefix>/messages/:id      one message: its text with clickable links
 *   GET    <prefix>/inbox.css         the page's stylesheet
 *   GET    <prefix>/api/messages      { data: Message[] } newest first, ?to= filters by recipient
 *   GET    <prefix>/api/messages/:id  { data: Message }
 *   DELETE <prefix>/api/messages      empties the inbox (204)
 */
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { escapeHtml, isHttpUrl } from '../html.js';
import type { CaughtMessage, SmtpCatcher } from './catcher.js';

export interface InboxRoutesOptions {
  /** e.g. `/_sandbox/mail`; '' or '/' mounts at the root. */
  prefix: string;
}

/** Adds the inbox routes (as an encapsulated plugin) under `prefix`. Call before `app.ready()`. */
export function registerInboxRoutes(
  app: FastifyInstance,
  catcher: SmtpCatcher,
  options: InboxRoutesOptions,
): void {
  const base = normalizePrefix(options.prefix);

  void app.register(
    async (inbox) => {
      inbox.get('/', async (request, reply) => {
        const to = queryString(request.query, 'to');
        if (to === null) return badQuery(reply);
        const messages = to ? catcher.messagesTo(to) : catcher.messages();
        return sendHtml(reply, 200, listPage(base, messages, to));
      });

      inbox.get<{ Params: { id: string } }>('/messages/:id', async (request, reply) => {
        const message = catcher.message(request.params.id);
        if (!message) return sendHtml(reply, 404, notFoundPage(base));
        return sendHtml(reply, 200, messagePage(base, message));
      });

      inbox.get('/inbox.css', async (_request, reply) => {
        return reply
          .header('content-type', 'text/css; charset=utf-8')
          .header('cache-control', 'no-cache')
          .header('x-content-type-options', 'nosniff')
          .send(STYLESHEET);
      });

      inbox.get('/api/messages', async (request, reply) => {
        const to = queryString(request.query, 'to');
        if (to === null) return badQuery(reply);
        const messages = to ? catcher.messagesTo(to) : catcher.messages();
        return reply.header('cache-control', 'no-store').send({ data: messages.map(toJson) });
      });

      inbox.get<{ Params: { id: string } }>('/api/messages/:id', async (request, reply) => {
        const message = catcher.message(request.params.id);
        if (!message) {
          return reply.code(404).send({ error: { code: 'not_found', message: 'Message not found.' } });
        }
        return reply.header('cache-control', 'no-store').send({ data: toJson(message) });
      });

      inbox.delete('/api/messages', async (_request, reply) => {
        catcher.clear();
        return reply.code(204).send();
      });
    },
    { prefix: base },
  );
}

export interface InboxServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A standalone HTTP server for the inbox, for running the SMTP sandbox on its own. */
export async function startInboxServer(options: {
  catcher: SmtpCatcher;
  port?: number;
  host?: string;
  prefix?: string;
}): Promise<InboxServer> {
  const app = Fastify({ logger: false });
  registerInboxRoutes(app, options.catcher, { prefix: options.prefix ?? '' });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}${normalizePrefix(options.prefix ?? '')}/`,
    port,
    close: () => app.close(),
  };
}

// --- JSON ----------------------------------------------------------------------------------

export interface MessageJson {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  receivedAt: string;
}

function toJson(message: CaughtMessage): MessageJson {
  return {
    id: message.id,
    from: message.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    receivedAt: message.receivedAt.toISOString(),
  };
}

// --- request helpers -----------------------------------------------------------------------

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** The query parameter as a string ('' when absent), or null when malformed (repeated, too long). */
function queryString(query: unknown, name: string): string | null {
  const value = query && typeof query === 'object' ? (query as Record<string, unknown>)[name] : undefined;
  if (value === undefined) return '';
  if (typeof value !== 'string' || value.length > 320) return null;
  return value.trim();
}

function badQuery(reply: FastifyReply) {
  return reply.code(400).send({
    error: { code: 'validation_failed', message: 'The "to" parameter must be one e-mail address.' },
  });
}

// No script at all, and styles only from our own stylesheet.
const CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function sendHtml(reply: FastifyReply, status: number, html: string) {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', CSP)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .send(html);
}

// --- pages ---------------------------------------------------------------------------------

function page(base: string, title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<link rel="stylesheet" href="${escapeHtml(`${base}/inbox.css`)}">`,
    '</head>',
    '<body>',
    '<header>',
    `<a class="brand" href="${escapeHtml(`${base}/`)}">Namaskah sandbox inbox</a>`,
    '<span class="note">Mail caught by the SMTP sandbox. Nothing here was delivered.</span>',
    '</header>',
    '<main>',
    body,
    '</main>',
    '</body>',
    '</html>',
  ].join('\n');
}

function listPage(base: string, messages: CaughtMessage[], to: string): string {
  const filter = [
    `<form class="filter" method="get" action="${escapeHtml(`${base}/`)}">`,
    '<label for="to">Recipient</label>',
    `<input id="to" name="to" type="email" value="${escapeHtml(to)}" placeholder="user@example.com">`,
    '<button type="submit">Filter</button>',
    to ? `<a href="${escapeHtml(`${base}/`)}">Show all</a>` : '',
    '</form>',
  ].join('\n');

  const heading = `<h1>${messages.length} message${messages.length === 1 ? '' : 's'}${
    to ? ` to ${escapeHtml(to)}` : ''
  }</h1>`;

  if (messages.length === 0) {
    return page(base, 'Sandbox inbox', `${heading}\n${filter}\n<p class="empty">No mail yet.</p>`);
  }

  const rows = messages
    .map((message) => {
      const href = `${base}/messages/${encodeURIComponent(message.id)}`;
      return [
        '<tr>',
        `<td class="when"><time datetime="${escapeHtml(message.receivedAt.toISOString())}">${escapeHtml(
          formatTime(message.receivedAt),
        )}</time></td>`,
        `<td>${escapeHtml(message.to.join(', '))}</td>`,
        `<td>${escapeHtml(message.from)}</td>`,
        `<td><a href="${escapeHtml(href)}">${escapeHtml(message.subject || '(no subject)')}</a></td>`,
        '</tr>',
      ].join('');
    })
    .join('\n');

  const table = [
    '<table class="messages">',
    '<thead><tr><th>Received</th><th>To</th><th>From</th><th>Subject</th></tr></thead>',
    `<tbody>\n${rows}\n</tbody>`,
    '</table>',
  ].join('\n');
  return page(base, 'Sandbox inbox', `${heading}\n${filter}\n${table}`);
}

function messagePage(base: string, message: CaughtMessage): string {
  const textLinks = findUrls(message.text);
  const htmlLinks = message.html ? hrefsIn(message.html).filter((url) => !textLinks.includes(url)) : [];

  const parts = [
    `<p><a href="${escapeHtml(`${base}/`)}">← All messages</a></p>`,
    `<h1>${escapeHtml(message.subject || '(no subject)')}</h1>`,
    '<dl class="headers">',
    `<dt>From</dt><dd>${escapeHtml(message.from)}</dd>`,
    `<dt>To</dt><dd>${escapeHtml(message.to.join(', '))}</dd>`,
    `<dt>Received</dt><dd><time datetime="${escapeHtml(message.receivedAt.toISOString())}">${escapeHtml(
      formatTime(message.receivedAt),
    )}</time></dd>`,
    '</dl>',
    message.text ? `<pre class="body">${linkify(message.text)}</pre>` : '<p class="empty">No text part.</p>',
  ];
  if (htmlLinks.length > 0) {
    parts.push(
      '<h2>Links in the HTML part</h2>',
      `<ul class="links">${htmlLinks.map((url) => `<li>${anchor(url)}</li>`).join('')}</ul>`,
    );
  }
  if (message.html) {
    parts.push(
      '<details>',
      '<summary>HTML source</summary>',
      `<pre class="source">${escapeHtml(message.html)}</pre>`,
      '</details>',
    );
  }
  return page(base, message.subject || 'Message', parts.join('\n'));
}

function notFoundPage(base: string): string {
  return page(
    base,
    'Message not found',
    `<h1>Message not found</h1>\n<p>It may have been cleared. <a href="${escapeHtml(`${base}/`)}">All messages</a></p>`,
  );
}

function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

// --- links ---------------------------------------------------------------------------------

const URL_IN_TEXT = /https?:\/\/[^\s<>"'`]+/g;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

function anchor(url: string): string {
  return `<a href="${escapeHtml(url)}" rel="noreferrer">${escapeHtml(url)}</a>`;
}

/** Text escaped for HTML, with its http(s) URLs turned into links. */
function linkify(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const start = match.index;
    const url = match[0].replace(TRAILING_PUNCTUATION, '');
    out += escapeHtml(text.slice(last, start));
    out += isHttpUrl(url) ? anchor(url) : escapeHtml(url);
    last = start + url.length;
  }
  return out + escapeHtml(text.slice(last));
}

function findUrls(text: string): string[] {
  const urls = [...text.matchAll(URL_IN_TEXT)].map((match) => match[0].replace(TRAILING_PUNCTUATION, ''));
  return [...new Set(urls.filter(isHttpUrl))];
}

/** The distinct http(s) hrefs of an HTML document, entities decoded. */
function hrefsIn(html: string): string[] {
  const hrefs = [...html.matchAll(/href\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)].map((match) =>
    decodeEntities(match[1] ?? match[2] ?? ''),
  );
  return [...new Set(hrefs.filter(isHttpUrl))];
}

function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos|#39);/gi, (entity, name: string) => {
    const lower = name.toLowerCase();
    if (lower === 'amp') return '&';
    if (lower === 'lt') return '<';
    if (lower === 'gt') return '>';
    if (lower === 'quot') return '"';
    if (lower === 'apos') return "'";
    const code = lower.startsWith('#x') ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10);
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}

const STYLESHEET = `
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f; background: #f5f5f7; }
header { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; padding: 0.75rem 1.5rem; background: #1d1d1f; color: #fff; }
header a.brand { color: #fff; font-weight: 600; text-decoration: none; }
header .note { color: #c7c7cc; font-size: 0.875rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.375rem; margin: 0 0 1rem; word-break: break-word; }
h2 { font-size: 1.125rem; margin: 1.5rem 0 0.5rem; }
a { color: #0b5fff; }
form.filter { display: flex; gap: 0.5rem; align-items: center; margin-bottom: 1rem; flex-wrap: wrap; }
form.filter input { padding: 0.375rem 0.5rem; min-width: 16rem; }
form.filter button { padding: 0.375rem 0.75rem; }
table.messages { width: 100%; border-collapse: collapse; background: #fff; }
table.messages th, table.messages td { text-align: left; padding: 0.5rem 0.75rem; border-bottom: 1px solid #e5e5ea; vertical-align: top; word-break: break-word; }
table.messages td.when { white-space: nowrap; color: #6e6e73; }
dl.headers { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0 0 1rem; }
dl.headers dt { font-weight: 600; }
dl.headers dd { margin: 0; word-break: break-word; }
pre.body, pre.source { white-space: pre-wrap; word-break: break-word; background: #fff; padding: 1rem; border: 1px solid #e5e5ea; border-radius: 6px; }
pre.source { font-size: 0.8125rem; color: #3a3a3c; }
.empty { color: #6e6e73; }
ul.links { word-break: break-all; }
`;
