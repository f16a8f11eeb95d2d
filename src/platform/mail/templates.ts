/**
 * The e-mails the platform sends. Pure functions: input in, `{ subject, text, html }` out, no I/O.
 *
 * Every interpolated value is escaped in the HTML part; values that may come from a client (user
 * agent, IP, endpoint URL, failure reason) are also flattened to one bounded line so they cannot
 * forge extra lines in the text part. Links must be absolute http(s) URLs — anything else throws,
 * so a `javascript:` URL can never end up in an `href`.
 */
import { escapeHtml, isHttpUrl } from './html.js';

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

const PRODUCT = 'Namaskah';

export interface EmailConfirmationInput {
  /** The address being confirmed. */
  email: string;
  /** The confirmation URL, token included. */
  link: string;
  /** When given, the e-mail says how long the link stays valid. */
  expiresInHours?: number;
}

export function emailConfirmationMail(input: EmailConfirmationInput): MailContent {
  const link = requireHttpUrl(input.link);
  const expiry =
    input.expiresInHours === undefined ? '' : ` The link expires in ${plural(input.expiresInHours, 'hour')}.`;
  const subject = `Confirm your e-mail address for ${PRODUCT}`;
  const text = [
    `Hello,`,
    ``,
    `Please confirm that ${oneLine(input.email)} is your e-mail address by opening this link:`,
    ``,
    link,
    ``,
    `If you did not create a ${PRODUCT} account, you can ignore this e-mail.${expiry}`,
    ``,
    signature(),
  ].join('\n');
  const html = layout(subject, [
    paragraph(`Hello,`),
    paragraph(`Please confirm that <strong>${escapeHtml(input.email)}</strong> is your e-mail address.`),
    button(link, 'Confirm e-mail address'),
    linkFallback(link),
    paragraph(`If you did not create a ${PRODUCT} account, you can ignore this e-mail.${escapeHtml(expiry)}`),
  ]);
  return { subject, text, html };
}

export interface PasswordResetInput {
  email: string;
  /** The reset URL, token included. */
  link: string;
  /** Defaults to 30, the longest the spec allows. */
  expiresInMinutes?: number;
}

export function passwordResetMail(input: PasswordResetInput): MailContent {
  const link = requireHttpUrl(input.link);
  const minutes = plural(input.expiresInMinutes ?? 30, 'minute');
  const subject = `Reset your ${PRODUCT} password`;
  const validity = `The link expires in ${minutes} and can be used once.`;
  const ignore = `If you did not ask for a password reset, ignore this e-mail: your password stays as it is.`;
  const text = [
    `Hello,`,
    ``,
    `Someone (hopefully you) asked to reset the password of the ${PRODUCT} account for ${oneLine(input.email)}.`,
    `To choose a new password, open this link:`,
    ``,
    link,
    ``,
    validity,
    ignore,
    ``,
    signature(),
  ].join('\n');
  const html = layout(subject, [
    paragraph(`Hello,`),
    paragraph(
      `Someone (hopefully you) asked to reset the password of the ${PRODUCT} account for ` +
        `<strong>${escapeHtml(input.email)}</strong>.`,
    ),
    button(link, 'Choose a new password'),
    linkFallback(link),
    paragraph(escapeHtml(validity)),
    paragraph(escapeHtml(ignore)),
  ]);
  return { subject, text, html };
}

export interface NewSignInInput {
  email: string;
  at: Date;
  ipAddress?: string;
  userAgent?: string;
  /** Where the user reviews and revokes sessions. */
  sessionsUrl: string;
}

export function newSignInMail(input: NewSignInInput): MailContent {
  const sessionsUrl = requireHttpUrl(input.sessionsUrl);
  const subject = `New sign-in to your ${PRODUCT} account`;
  const details = signInDetails(input);
  const advice =
    `If this was not you, revoke the session and change your password at once; ` +
    `consider turning on two-factor authentication.`;
  const text = [
    `Hello,`,
    ``,
    `Your ${PRODUCT} account (${oneLine(input.email)}) was just signed in to.`,
    ``,
    ...details.map(([label, value]) => `${label}: ${value}`),
    ``,
    `If this was you, there is nothing to do.`,
    advice,
    `Review your sessions: ${sessionsUrl}`,
    ``,
    signature(),
  ].join('\n');
  const html = layout(subject, [
    paragraph(`Hello,`),
    paragraph(`Your ${PRODUCT} account (<strong>${escapeHtml(input.email)}</strong>) was just signed in to.`),
    detailsTable(details),
    paragraph(`If this was you, there is nothing to do. ${escapeHtml(advice)}`),
    button(sessionsUrl, 'Review your sessions'),
    linkFallback(sessionsUrl),
  ]);
  return { subject, text, html };
}

/** Account changes worth telling the owner about. The wording is fixed here, never passed in. */
export type SecurityEvent =
  | 'password_changed'
  | 'email_changed'
  | 'mfa_enabled'
  | 'mfa_disabled'
  | 'api_key_created'
  | 'sessions_revoked';

const SECURITY_EVENT_TEXT: Record<SecurityEvent, string> = {
  password_changed: 'Your password was changed.',
  email_changed: 'The e-mail address of your account was changed.',
  mfa_enabled: 'Two-factor authentication was turned on.',
  mfa_disabled: 'Two-factor authentication was turned off.',
  api_key_created: 'A new API key was created.',
  sessions_revoked: 'All your sessions were signed out.',
};

export interface SecurityNoticeInput {
  email: string;
  event: SecurityEvent;
  at: Date;
  ipAddress?: string;
  userAgent?: string;
  /** Where the user reviews security settings. */
  securityUrl: string;
}

export function securityNoticeMail(input: SecurityNoticeInput): MailContent {
  const securityUrl = requireHttpUrl(input.securityUrl);
  const what = SECURITY_EVENT_TEXT[input.event];
  const subject = `Security notice for your ${PRODUCT} account`;
  const details = signInDetails(input);
  const advice = `If you did not do this, reset your password at once and review your sessions.`;
  const text = [
    `Hello,`,
    ``,
    `${what} (account ${oneLine(input.email)})`,
    ``,
    ...details.map(([label, value]) => `${label}: ${value}`),
    ``,
    advice,
    `Security settings: ${securityUrl}`,
    ``,
    signature(),
  ].join('\n');
  const html = layout(subject, [
    paragraph(`Hello,`),
    paragraph(`${escapeHtml(what)} (account <strong>${escapeHtml(input.email)}</strong>)`),
    detailsTable(details),
    paragraph(escapeHtml(advice)),
    button(securityUrl, 'Security settings'),
    linkFallback(securityUrl),
  ]);
  return { subject, text, html };
}

export interface WebhookDisabledInput {
  email: string;
  /** The endpoint that was switched off. Shown, never linked. */
  endpointUrl: string;
  /** Short description of why, e.g. "20 consecutive failed deliveries (last: HTTP 500)". */
  reason: string;
  disabledAt: Date;
  /** Where the user re-enables the endpoint. */
  webhooksUrl: string;
}

export function webhookDisabledMail(input: WebhookDisabledInput): MailContent {
  const webhooksUrl = requireHttpUrl(input.webhooksUrl);
  const subject = `A ${PRODUCT} webhook endpoint was disabled`;
  const endpoint = oneLine(input.endpointUrl);
  const reason = oneLine(input.reason);
  const when = formatDate(input.disabledAt);
  const consequence =
    `No further events will be delivered to it until you fix the endpoint and enable it again. ` +
    `Events are still recorded and can be seen in your dashboard.`;
  const text = [
    `Hello,`,
    ``,
    `We disabled one of your webhook endpoints after repeated delivery failures.`,
    ``,
    `Endpoint: ${endpoint}`,
    `Reason: ${reason}`,
    `Disabled at: ${when}`,
    ``,
    consequence,
    `Manage webhooks: ${webhooksUrl}`,
    ``,
    signature(),
  ].join('\n');
  const html = layout(subject, [
    paragraph(`Hello,`),
    paragraph(`We disabled one of your webhook endpoints after repeated delivery failures.`),
    detailsTable([
      ['Endpoint', endpoint],
      ['Reason', reason],
      ['Disabled at', when],
    ]),
    paragraph(escapeHtml(consequence)),
    button(webhooksUrl, 'Manage webhooks'),
    linkFallback(webhooksUrl),
  ]);
  return { subject, text, html };
}

// --- helpers -------------------------------------------------------------------------------

function requireHttpUrl(link: string): string {
  if (!isHttpUrl(link)) throw new TypeError('Mail links must be absolute http(s) URLs.');
  return link;
}

/** Control characters (newlines included) become spaces; long values are cut. */
function oneLine(value: string, max = 300): string {
  const flat = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

function formatDate(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function signInDetails(input: { at: Date; ipAddress?: string; userAgent?: string }): Array<[string, string]> {
  const rows: Array<[string, string]> = [['Time', formatDate(input.at)]];
  if (input.ipAddress) rows.push(['IP address', oneLine(input.ipAddress, 64)]);
  if (input.userAgent) rows.push(['Device', oneLine(input.userAgent, 200)]);
  return rows;
}

function signature(): string {
  return `— The ${PRODUCT} team\n(This is an automatic message; replies are not read.)`;
}

// HTML building blocks. Callers pass already-escaped markup to `paragraph`; everything else
// escapes its own arguments.

function layout(title: string, blocks: string[]): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f5f5f7;font-family:Arial,Helvetica,sans-serif;color:#1d1d1f;">',
    '<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px;">',
    `<h1 style="font-size:20px;margin:0 0 16px;">${escapeHtml(title)}</h1>`,
    ...blocks,
    `<p style="color:#6e6e73;font-size:12px;margin-top:24px;">— The ${PRODUCT} team. ` +
      'This is an automatic message; replies are not read.</p>',
    '</div>',
    '</body>',
    '</html>',
  ].join('\n');
}

function paragraph(markup: string): string {
  return `<p style="line-height:1.5;margin:0 0 12px;">${markup}</p>`;
}

function button(href: string, label: string): string {
  return (
    '<p style="margin:20px 0;">' +
    `<a href="${escapeHtml(href)}" style="background:#0b5fff;color:#ffffff;padding:10px 18px;` +
    `border-radius:6px;text-decoration:none;display:inline-block;">${escapeHtml(label)}</a></p>`
  );
}

function linkFallback(href: string): string {
  return paragraph(
    `If the button does not work, copy this address into your browser:<br>` +
      `<a href="${escapeHtml(href)}" style="word-break:break-all;">${escapeHtml(href)}</a>`,
  );
}

function detailsTable(rows: Array<[string, string]>): string {
  const body = rows
    .map(
      ([label, value]) =>
        `<tr><th style="text-align:left;padding:4px 12px 4px 0;vertical-align:top;">${escapeHtml(label)}</th>` +
        `<td style="padding:4px 0;word-break:break-all;">${escapeHtml(value)}</td></tr>`,
    )
    .join('');
  return `<table style="border-collapse:collapse;margin:0 0 12px;font-size:14px;">${body}</table>`;
}
