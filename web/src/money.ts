import type { Money } from './api';

const formatters = new Map<string, Intl.NumberFormat>();

/**
 * Integer minor units to a display string; `CREDIT` is a free verification, not money, and
 * `INCLUDED` is cents of USD from the plan's included usage (no currency code Intl knows).
 */
export function formatMoney(money: Money | { amount: number; currency?: string }): string {
  const currency = money.currency ?? 'USD';
  if (currency === 'CREDIT') return money.amount === 1 ? '1 free credit' : `${money.amount} free credits`;
  if (currency === 'INCLUDED')
    return `${formatMoney({ amount: money.amount, currency: 'USD' })} of included usage`;
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
