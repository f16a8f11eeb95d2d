import { useRef } from 'react';

/**
 * `action`, ignored while its previous run is still going: two clicks in the same frame reach the
 * handler before React re-renders the button disabled, and would send the request twice (two API
 * keys, or a captcha spent twice and an error shown for an account that was made).
 */
export function useSingleFlight<Args extends unknown[]>(
  action: (...args: Args) => Promise<unknown>,
): (...args: Args) => void {
  const running = useRef(false);
  return (...args: Args) => {
    if (running.current) return;
    running.current = true;
    // The mutation shows its own error; here only the flight ends.
    action(...args)
      .catch(() => undefined)
      .finally(() => {
        running.current = false;
      });
  };
}
