import type { Money } from './api';

const formatters = new Map<string, Intl.NumberFormat>();

/** Integer minor units to a display string; `CREDIT` is a free verification, not money. */
export function formatMoney(money: Money | { amount: number; currency?: string }): string {
  const currency = money.currency ?? 'USD';
  if (currency === 'CREDIT') return money.amount === 1 ? '1 free credit' : `${money.amount} free credits`;
  let formatter = formatters.get(currency);
  if (!formatter) {
    formatter = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    formatters.set(currency, formatter);
  }
  return formatter.format(money.amount / 100);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('en-US', {
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}
