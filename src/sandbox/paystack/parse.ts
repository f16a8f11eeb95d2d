/**
 * Reading Paystack request fields the way Paystack accepts them (contract §D.1): JSON or form
 * bodies, amounts as integers or digit strings, `metadata` as an object or stringified JSON,
 * `channels` as an array, a JSON array string or a comma list.
 */

export const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/** A positive integer amount in subunits, or null. */
export function parseAmount(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) {
    const amount = Number(value.trim());
    return amount > 0 ? amount : null;
  }
  return null;
}

export function parseMetadata(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null ? parsed : value;
  } catch {
    return value;
  }
}

export function parseChannels(value: unknown): string[] | null {
  if (Array.isArray(value)) return value.filter((c): c is string => typeof c === 'string');
  if (typeof value === 'string' && value !== '') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed)) return parsed.filter((c): c is string => typeof c === 'string');
    } catch {
      return value.split(',').map((c) => c.trim());
    }
  }
  return null;
}
