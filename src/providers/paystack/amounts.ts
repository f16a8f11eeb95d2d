/**
 * Paystack amounts are integer subunits (kobo, pesewas, cents) but arrive as numbers or as
 * strings (`"10000"`) depending on the endpoint and the event. Parse both, refuse anything that is
 * not an exact non-negative integer — never round.
 */
export function parseMinorUnits(value: unknown): number | null {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value : null;
  }
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (!/^\d{1,15}$/.test(trimmed)) return null;
    return Number(trimmed);
  }
  return null;
}
