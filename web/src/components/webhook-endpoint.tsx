import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api';
import { formatDate } from '../money';
import { ErrorNote, Notice } from './ui';
import { type Delivery, DeliveryLog, deliveriesKey } from './webhook-deliveries';

/** `GET /api/v1/webhook-endpoints` rows (src/modules/webhooks/views.ts). */
export interface Endpoint {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
}
export type EndpointWithSecret = Endpoint & { secret: string };

export const ENDPOINTS_KEY = ['webhook-endpoints'];

type Confirm = 'rotate' | 'delete' | null;

/** One endpoint: what it receives, its actions, and its delivery log. */
export function EndpointCard({
  endpoint,
  onSecret,
}: {
  endpoint: Endpoint;
  onSecret: (endpoint: EndpointWithSecret) => void;
}) {
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState<Confirm>(null);
  const refreshEndpoints = () => void queryClient.invalidateQueries({ queryKey: ENDPOINTS_KEY });
  const test = useMutation({
    mutationFn: () => api<Delivery>('POST', `/api/v1/webhook-endpoints/${endpoint.id}/test`, {}),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: deliveriesKey(endpoint.id) }),
  });
  const rotate = useMutation({
    mutationFn: () =>
      api<EndpointWithSecret>('POST', `/api/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {}),
    onSuccess: (rotated) => {
      setConfirm(null);
      onSecret(rotated);
      refreshEndpoints();
    },
  });
  const toggle = useMutation({
    mutationFn: (enabled: boolean) =>
      api<Endpoint>('PATCH', `/api/v1/webhook-endpoints/${endpoint.id}`, { enabled }),
    onSuccess: refreshEndpoints,
  });
  const remove = useMutation({
    mutationFn: () => api('DELETE', `/api/v1/webhook-endpoints/${endpoint.id}`),
    onSuccess: refreshEndpoints,
  });
  const busy = test.isPending || rotate.isPending || toggle.isPending || remove.isPending;
  const titleId = `endpoint-${endpoint.id}`;

  return (
    <article className="card webhook-endpoint" data-endpoint-id={endpoint.id} aria-labelledby={titleId}>
      <div className="card-header">
        <div className="endpoint-title">
          <h3 id={titleId} className="mono wrap">
            {endpoint.url}
          </h3>
          {endpoint.description ? <p className="muted small">{endpoint.description}</p> : null}
        </div>
        <span className={`badge ${endpoint.enabled ? 'badge-active' : 'badge-failed'}`}>
          {endpoint.enabled ? 'enabled' : 'disabled'}
        </span>
      </div>
      <p className="small">
        Receives:{' '}
        <span className="mono">
          {endpoint.events.includes('*') ? 'all events' : endpoint.events.join(', ')}
        </span>
      </p>
      {!endpoint.enabled && endpoint.disabledReason ? (
        <Notice tone="warning">
          Switched off: {endpoint.disabledReason}. Fix the receiver, then enable it.
        </Notice>
      ) : null}
      {endpoint.previousSecretExpiresAt ? (
        <p className="muted small">
          The previous secret also signs until {formatDate(endpoint.previousSecretExpiresAt)}.
        </p>
      ) : null}
      <div className="actions">
        <button
          type="button"
          className="button button-secondary button-small test-event-btn"
          disabled={busy || !endpoint.enabled}
          onClick={() => test.mutate()}
        >
          {test.isPending ? 'Sending…' : 'Send test event'}
        </button>
        <button
          type="button"
          className="button button-secondary button-small"
          disabled={busy}
          onClick={() => toggle.mutate(!endpoint.enabled)}
        >
          {endpoint.enabled ? 'Disable' : 'Enable'}
        </button>
        <button
          type="button"
          className="button button-ghost button-small rotate-secret-btn"
          disabled={busy}
          onClick={() => setConfirm('rotate')}
        >
          Rotate secret
        </button>
        <button
          type="button"
          className="button button-ghost button-small delete-endpoint-btn"
          disabled={busy}
          onClick={() => setConfirm('delete')}
        >
          Delete
        </button>
      </div>
      {confirm ? (
        <div className="notice notice-warning confirm-row" role="group" aria-label="Confirm">
          <span>
            {confirm === 'rotate'
              ? 'A new secret signs from now on; the old one also signs for 24 hours.'
              : 'The endpoint and its delivery log are deleted.'}
          </span>
          <span className="inline-actions">
            <button
              type="button"
              className={`button button-small ${confirm === 'delete' ? 'button-danger' : 'button-primary'} confirm-btn`}
              disabled={busy}
              onClick={() => (confirm === 'rotate' ? rotate.mutate() : remove.mutate())}
            >
              {confirm === 'rotate' ? 'Rotate now' : 'Delete endpoint'}
            </button>
            <button
              type="button"
              className="button button-ghost button-small"
              onClick={() => setConfirm(null)}
            >
              Keep
            </button>
          </span>
        </div>
      ) : null}
      {test.data ? (
        <p className="small test-result" role="status">
          Test event {test.data.status === 'succeeded' ? 'delivered' : test.data.status}:{' '}
          {test.data.lastStatusCode ?? test.data.lastError ?? 'no answer yet'}
        </p>
      ) : null}
      <ErrorNote
        message={
          test.error?.message ?? rotate.error?.message ?? toggle.error?.message ?? remove.error?.message
        }
      />
      <DeliveryLog endpointId={endpoint.id} label={endpoint.url} />
    </article>
  );
}
