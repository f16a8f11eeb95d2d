import { escapeHtml } from '../html.js';
import type { SandboxTransaction } from './store.js';

/** The hosted checkout page: plain HTML, no JavaScript; Pay and Decline are separate forms. */

/** All supported currencies have 100 subunits; format without float math. */
function formatMinor(amount: number, currency: string): string {
  const major = Math.floor(amount / 100);
  const minor = String(amount % 100).padStart(2, '0');
  return `${currency} ${major.toLocaleString('en-US')}.${minor}`;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Paystack sandbox</title>
<style>
body{font-family:system-ui,sans-serif;background:#f3f4f6;margin:0;padding:2rem 1rem;color:#111827}
main{max-width:26rem;margin:0 auto;background:#fff;border-radius:.75rem;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.1)}
h1{font-size:1.25rem;margin:0 0 1rem}
.amount{font-size:2rem;font-weight:700;margin:.5rem 0}
.muted{color:#4b5563}
.actions{display:flex;gap:.75rem;margin-top:1.5rem}
.actions form{flex:1}
button{width:100%;padding:.75rem;border:0;border-radius:.5rem;font-size:1rem;cursor:pointer}
.pay{background:#0ba4db;color:#fff}
.decline{background:#e5e7eb;color:#111827}
.badge{display:inline-block;background:#fef3c7;color:#92400e;border-radius:.25rem;padding:.125rem .5rem;font-size:.75rem}
</style>
</head>
<body>
<main>
<p><span class="badge">TEST MODE</span></p>
${body}
</main>
</body>
</html>
`;
}

export function checkoutPage(tx: SandboxTransaction): string {
  const code = encodeURIComponent(tx.accessCode);
  return layout(
    'Checkout',
    `<h1>Pay with Paystack (sandbox)</h1>
<p class="muted" id="email">${escapeHtml(tx.email)}</p>
<p class="amount" id="amount" data-amount-minor="${tx.amount}" data-currency="${escapeHtml(tx.currency)}">${escapeHtml(
      formatMinor(tx.amount, tx.currency),
    )}</p>
<p class="muted">Reference: <code>${escapeHtml(tx.reference)}</code></p>
<div class="actions">
<form method="post" action="./${code}/pay"><button type="submit" class="pay" name="action" value="pay">Pay</button></form>
<form method="post" action="./${code}/decline"><button type="submit" class="decline" name="action" value="decline">Decline</button></form>
</div>`,
  );
}

export function usedLinkPage(tx: SandboxTransaction): string {
  const outcome = tx.status === 'failed' ? 'was declined' : 'has already been paid';
  return layout(
    'Link no longer valid',
    `<h1>This payment link is no longer valid</h1>
<p class="muted">The payment ${outcome}. Reference: <code>${escapeHtml(tx.reference)}</code></p>`,
  );
}

export function unknownLinkPage(): string {
  return layout(
    'Invalid link',
    '<h1>This payment link is not valid</h1><p class="muted">Check the link and try again.</p>',
  );
}

export function resultPage(tx: SandboxTransaction): string {
  const title = tx.status === 'success' ? 'Payment successful' : 'Payment declined';
  return layout(
    title,
    `<h1>${title}</h1><p class="muted">${escapeHtml(formatMinor(tx.amount, tx.currency))} · reference <code>${escapeHtml(
      tx.reference,
    )}</code></p>`,
  );
}
