import 'altcha/external';
import 'altcha/altcha.css';
import Pbkdf2Worker from 'altcha/workers/pbkdf2?worker';
import { useEffect, useRef } from 'react';

// The strict-CSP build of the widget ships no workers: register the one our challenges need.
const registry = (globalThis as unknown as { $altcha?: { algorithms: Map<string, () => Worker> } }).$altcha;
registry?.algorithms.set('PBKDF2/SHA-256', () => new Pbkdf2Worker());

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- JSX typing of the custom element
  namespace JSX {
    interface IntrinsicElements {
      'altcha-widget': React.DetailedHTMLProps<React.HTMLAttributes<HTMLElement>, HTMLElement> & {
        challenge?: string;
        auto?: string;
        name?: string;
        type?: string;
        workers?: number;
      };
    }
  }
}

/**
 * The ALTCHA proof-of-work widget. It solves the challenge by itself as soon as it is shown, and
 * hands the payload up; each payload is good for one request, so a failed submit remounts it.
 */
export function Captcha({
  level = 0,
  onPayload,
}: {
  level?: number;
  onPayload: (payload: string | null) => void;
}) {
  const ref = useRef<HTMLElement>(null);
  const callback = useRef(onPayload);
  callback.current = onPayload;
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const onState = (event: Event) => {
      const detail = (event as CustomEvent<{ state?: string; payload?: string }>).detail;
      if (detail?.state === 'verified' && detail.payload) callback.current(detail.payload);
      else callback.current(null);
    };
    element.addEventListener('statechange', onState);
    return () => element.removeEventListener('statechange', onState);
  }, []);
  return (
    <div className="captcha">
      <altcha-widget
        ref={ref}
        challenge={`/api/v1/captcha/challenge${level > 0 ? `?level=${level}` : ''}`}
        auto="onload"
        name="captcha"
        type="checkbox"
      />
    </div>
  );
}
