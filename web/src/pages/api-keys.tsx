import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useSingleFlight } from '../single-flight';
import { api } from '../api';
import { Field, fieldError, formError } from '../components/field';
import { CopyButton, Empty, ErrorNote, Notice, PageHeader, Spinner } from '../components/ui';
import { formatDate } from '../money';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  allowedCidrs: string[];
  lastUsedAt: string | null;
  createdAt: string;
  /** After a rotation: the replaced secret still works until then. */
  previousKeyExpiresAt?: string | null;
}

const SCOPES: [string, string][] = [
  ['account:read', 'Read the account'],
  ['verifications:read', 'Read verifications'],
  ['verifications:write', 'Buy and cancel verifications'],
  ['wallet:read', 'Read the wallet'],
  ['wallet:write', 'Start top-ups'],
  ['webhooks:read', 'Read webhooks'],
  ['webhooks:write', 'Manage webhooks'],
];
const DEFAULT_SCOPES = ['account:read', 'verifications:read', 'verifications:write', 'wallet:read'];

export default function ApiKeys() {
  const queryClient = useQueryClient();
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: () => api<{ data: ApiKey[] }>('GET', '/api/v1/api-keys'),
  });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(DEFAULT_SCOPES);
  const [confirming, setConfirming] = useState<{ id: string; action: 'revoke' | 'rotate' } | null>(null);
  // The secret just made (created or rotated): shown once, here.
  const [shown, setShown] = useState<{ key: string; rotated: boolean } | null>(null);
  const create = useMutation({
    mutationFn: () => api<ApiKey & { key: string }>('POST', '/api/v1/api-keys', { name, scopes }),
    onSuccess: (made) => {
      setName('');
      setShown({ key: made.key, rotated: false });
      void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  // One Idempotency-Key per confirmed rotation, so a retried request returns the same new secret.
  const [rotationKey, setRotationKey] = useState(() => crypto.randomUUID());
  const rotate = useMutation({
    mutationFn: (id: string) =>
      api<ApiKey & { key: string }>('POST', `/api/v1/api-keys/${id}/rotate`, undefined, {
        idempotencyKey: rotationKey,
      }),
    onSuccess: (made) => {
      setConfirming(null);
      setRotationKey(crypto.randomUUID());
      setShown({ key: made.key, rotated: true });
      void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api('DELETE', `/api/v1/api-keys/${id}`),
    onSuccess: () => {
      setConfirming(null);
      void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const createOnce = useSingleFlight(() => create.mutateAsync());
  const confirmOnce = useSingleFlight((action: 'revoke' | 'rotate', id: string) =>
    action === 'revoke' ? revoke.mutateAsync(id) : rotate.mutateAsync(id),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    createOnce();
  };

  return (
    <>
      <PageHeader
        title="API keys"
        description="Call the REST API from your own code. A key is shown once, when you create it."
      />
      {shown ? (
        <Notice tone="success">
          <p>
            <strong>Copy your new key now.</strong> It will not be shown again.
            {shown.rotated ? ' The replaced key keeps working until the time shown in the list.' : ''}
          </p>
          <div className="secret-row">
            <code id="new-api-key" className="secret">
              {shown.key}
            </code>
            <CopyButton value={shown.key} label="Copy key" />
          </div>
        </Notice>
      ) : null}
      <section className="card" aria-labelledby="create-key-title">
        <h2 id="create-key-title">Create a key</h2>
        <form className="form" onSubmit={submit} noValidate>
          <Field
            id="key-name"
            label="Name"
            placeholder="e.g. production server"
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            error={fieldError(create.error, 'name')}
          />
          <fieldset className="field">
            <legend>Scopes</legend>
            <div className="checkbox-grid">
              {SCOPES.map(([scope, label]) => (
                <label key={scope} className="checkbox">
                  <input
                    type="checkbox"
                    name="scopes"
                    value={scope}
                    checked={scopes.includes(scope)}
                    onChange={(e) =>
                      setScopes((current) =>
                        e.target.checked ? [...current, scope] : current.filter((s) => s !== scope),
                      )
                    }
                  />
                  <span>
                    <span className="mono small">{scope}</span> <span className="muted small">{label}</span>
                  </span>
                </label>
              ))}
            </div>
          </fieldset>
          <ErrorNote message={formError(create.error, ['name'])} />
          <button
            type="submit"
            id="create-key-btn"
            className="button button-primary"
            disabled={create.isPending || !name.trim() || scopes.length === 0}
          >
            {create.isPending ? 'Creating…' : 'Create key'}
          </button>
        </form>
      </section>
      <section className="card card-flush" aria-labelledby="keys-title">
        <div className="card-header card-header-padded">
          <h2 id="keys-title">Your keys</h2>
        </div>
        {keys.isPending ? <Spinner /> : null}
        {keys.isError ? <ErrorNote message={keys.error.message} /> : null}
        {keys.data && keys.data.data.length === 0 ? (
          <Empty title="No API keys">Create one above to use the API.</Empty>
        ) : null}
        {keys.data && keys.data.data.length > 0 ? (
          <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="keys-title">
            <table className="table api-keys-table">
              <caption className="visually-hidden">API keys</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.data.map((key) => (
                  <tr key={key.id} data-key-id={key.id}>
                    <td>{key.name}</td>
                    <td className="mono">
                      {key.prefix}…
                      {key.previousKeyExpiresAt ? (
                        <span className="small block">
                          previous key until {formatDate(key.previousKeyExpiresAt)}
                        </span>
                      ) : null}
                    </td>
                    <td className="small wrap">{key.scopes.join(', ')}</td>
                    <td>{key.lastUsedAt ? formatDate(key.lastUsedAt) : 'Never'}</td>
                    <td className="num">
                      {confirming?.id === key.id ? (
                        <span className="inline-actions">
                          <button
                            type="button"
                            className={
                              confirming.action === 'revoke'
                                ? 'button button-danger button-small revoke-confirm'
                                : 'button button-primary button-small rotate-confirm'
                            }
                            disabled={revoke.isPending || rotate.isPending}
                            onClick={() => confirmOnce(confirming.action, key.id)}
                          >
                            {confirming.action === 'revoke' ? 'Confirm revoke' : 'Confirm rotate'}
                          </button>
                          <button
                            type="button"
                            className="button button-ghost button-small"
                            onClick={() => setConfirming(null)}
                          >
                            Keep
                          </button>
                        </span>
                      ) : (
                        <span className="inline-actions">
                          <button
                            type="button"
                            className="button button-secondary button-small rotate-btn"
                            aria-label={`Rotate ${key.name}`}
                            onClick={() => setConfirming({ id: key.id, action: 'rotate' })}
                          >
                            Rotate
                          </button>
                          <button
                            type="button"
                            className="button button-secondary button-small revoke-btn"
                            aria-label={`Revoke ${key.name}`}
                            onClick={() => setConfirming({ id: key.id, action: 'revoke' })}
                          >
                            Revoke
                          </button>
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <ErrorNote message={revoke.error?.message ?? rotate.error?.message} />
      </section>
    </>
  );
}
