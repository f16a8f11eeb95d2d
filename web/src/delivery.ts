/** Delivery figures from the catalogue and the quote (`delivery`), and how the pages word them. */

/** One window: orders counted, the share whose code arrived, the median seconds to the code. */
export interface DeliveryFigure {
  orders: number;
  delivered: number;
  successRate: number;
  medianSecondsToCode: number | null;
}

/** A window is null while it has fewer orders than the minimum sample. */
export interface Delivery {
  last24h: DeliveryFigure | null;
  last7d: DeliveryFigure | null;
}

/** Whole percent, rounded down from the counts (99.6 % is not shown as 100 %). */
export function deliveredPercent(figure: DeliveryFigure): number {
  return Math.floor((figure.delivered * 100) / figure.orders);
}

export function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  return `${Math.round(seconds / 60)} min`;
}

const WINDOW_NAMES = { last24h: '24 h', last7d: '7 days' } as const;

/** "94% delivered · median 38 s (7 days, 212 orders)". */
export function describeDelivery(figure: DeliveryFigure, window: keyof Delivery): string {
  const median =
    figure.medianSecondsToCode === null ? '' : ` · median ${formatSeconds(figure.medianSecondsToCode)}`;
  const orders = figure.orders === 1 ? '1 order' : `${figure.orders} orders`;
  return `${deliveredPercent(figure)}% delivered${median} (${WINDOW_NAMES[window]}, ${orders})`;
}

/** The short form for a list entry: the 7-day share, or nothing below the minimum sample. */
export function shortDelivery(delivery: Delivery | undefined): string {
  const week = delivery?.last7d;
  return week ? `${deliveredPercent(week)}% delivered` : '';
}
