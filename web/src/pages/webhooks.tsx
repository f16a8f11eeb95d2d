import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { ApiError, api } from '../api';
import { Field, fieldError, formError } from '../components/field';
import { CopyButton, Empty, ErrorNote, Notice, PageHeader, Spinner } from '../components/ui';
import {
  ENDPOINTS_KEY,
  type Endpoint,
  EndpointCard,
  type EndpointWithSecret,
} from '../components/webhook-endpoint';
import { useMyTier, useTiers } from '../tiers';
import { useSingleFlight } from '../single-flight';

/** The event types of SPEC §7 (the API's `events` enum); `*` takes them all. */
const EVENTS: [string, string][] = [
  ['verification.created', 'A number was bought'],
  ['verification.completed', 'A code arrived'],
  ['verification.canceled', 'A verification was canceled'],
  ['verification.expired', 'The window ended without a code'],
  ['verification.failed', 'The provider failed'],
  ['wallet.topup.succeeded', 'A top-up was credited'],
  ['subscription.renewed', 'The plan renewed'],
  ['subscription.past_due', 'A renewal payment failed'],
  ['subscription.downgraded', 'The plan ended'],
];
const ALL = '*';

function CreateEndpoint({ onCreated }: { onCreated: (endpoint: EndpointWithSecret) => void }) {
  const queryClient = useQueryClient();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([ALL]);
  const create = useMutation({
    mutationFn: () =>
      api<EndpointWithSecret>('POST', '/api/v1/webhook-endpoints', {
        url,
        events,
        ...(description.trim() ? { description } : {}),
      }),
    onSuccess: (endpoint) => {
      setUrl('');
      setDescription('');
      setEvents([ALL]);
      onCreated(endpoint);
      void queryClient.invalidateQueries({ queryKey: ENDPOINTS_KEY });
    },
  });
  // A double click would add two endpoints and show one secret: the other's would be lost.
  const createOnce = useSingleFlight(() => create.mutateAsync());
  const submit = (event: FormEvent) => {
    event.preventDefault();
    createOnce();
  };
  const toggle = (type: string, on: boolean) =>
    setEvents((current) =>
      on ? [...current.filter((e) => e !== ALL), type] : current.filter((e) => e !== type),
    );
  const error = create.error;
  const urlError =
    fieldError(error, 'url') ??
    (error instanceof ApiError && error.code === 'unsafe_url' ? error.message : null);
  const all = events.includes(ALL);

  return (
    <section className="card" aria-labelledby="create-endpoint-title">
      <h2 id="create-endpoint-title">Add an endpoint</h2>
      <form className="form" onSubmit={submit} noValidate>
        <Field
          id="webhook-url"
          label="Endpoint URL"
          type="url"
          inputMode="url"
          placeholder="https://example.com/namaskah/webhook"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          required
          error={urlError}
          hint="We POST signed JSON events here (header Namaskah-Signature)."
        />
        <Field
          id="webhook-description"
          label="Description (optional)"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          maxLength={500}
        />
        <fieldset className="field">
          <legend>Events</legend>
          <label className="checkbox">
            <input
              type="checkbox"
              name="events"
              value={ALL}
              checked={all}
              onChange={(e) => setEvents(e.target.checked ? [ALL] : [])}
            />
            <span>All events, including ones added later</span>
          </label>
          <div className="checkbox-grid">
            {EVENTS.map(([type, label]) => (
              <label key={type} className="checkbox">
                <input
                  type="checkbox"
                  name="events"
                  value={type}
                  checked={all || events.includes(type)}
                  disabled={all}
                  onChange={(e) => toggle(type, e.target.checked)}
                />
                <span>
                  <span className="mono small">{type}</span> <span className="muted small">{label}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        <ErrorNote message={urlError ? null : formError(error, ['url', 'description', 'events'])} />
        <button
          type="submit"
          id="create-webhook-btn"
          className="button button-primary"
          disabled={create.isPending || !url.trim() || events.length === 0}
        >
          {create.isPending ? 'Adding…' : 'Add endpoint'}
        </button>
      </form>
    </section>
  );
}

export default function Webhooks() {
  const tier = useMyTier();
  const tiers = useTiers();
  const endpoints = useQuery({
    queryKey: ENDPOINTS_KEY,
    queryFn: () => api<{ data: Endpoint[] }>('GET', '/api/v1/webhook-endpoints'),
  });
  const [secret, setSecret] = useState<{ endpoint: EndpointWithSecret; rotated: boolean } | null>(null);
  const allowed = tier?.gates.webhooks ?? true;
  const withWebhooks = tiers.data?.find((t) => t.gates.webhooks && t.monthlyPrice.amount === 0);

  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Get signed events at your own URL when a code arrives, a top-up lands or your plan changes."
      />
      {!allowed ? (
        <Notice tone="warning">
          <span id="webhooks-gate">
            Webhooks come with {withWebhooks?.displayName ?? 'pay as you go'} and the paid plans.{' '}
            <Link to="/plans">Change your plan</Link>
          </span>
        </Notice>
      ) : null}
      {secret ? (
        <Notice tone="success">
          <p>
            <strong>
              {secret.rotated ? 'New signing secret' : 'Signing secret'} for{' '}
              <span className="mono">{secret.endpoint.url}</span>.
            </strong>{' '}
            Copy it now: it will not be shown again.
          </p>
          <div className="secret-row">
            <code id="new-webhook-secret" className="secret">
              {secret.endpoint.secret}
            </code>
            <CopyButton value={secret.endpoint.secret} label="Copy secret" />
          </div>
        </Notice>
      ) : null}
      {allowed ? <CreateEndpoint onCreated={(endpoint) => setSecret({ endpoint, rotated: false })} /> : null}
      <section className="stack" aria-labelledby="endpoints-title">
        <h2 id="endpoints-title">Endpoints</h2>
        {endpoints.isPending ? <Spinner /> : null}
        {endpoints.isError ? <ErrorNote message={endpoints.error.message} /> : null}
        {endpoints.data && endpoints.data.data.length === 0 ? (
          <div className="card">
            <Empty title="No endpoints">Add one above to receive events.</Empty>
          </div>
        ) : null}
        {endpoints.data?.data.map((endpoint) => (
          <EndpointCard
            key={endpoint.id}
            endpoint={endpoint}
            onSecret={(rotated) => setSecret({ endpoint: rotated, rotated: true })}
          />
        ))}
      </section>
    </>
  );
}
