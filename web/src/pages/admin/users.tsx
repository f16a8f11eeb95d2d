import { useInfiniteQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { type Page, api } from '../../api';
import { Empty, PageHeader, Spinner, StatusBadge } from '../../components/ui';
import { formatDate } from '../../money';
import { AdminError } from './common';
import type { AdminUser } from './types';

/** Finding a user by (part of) their e-mail address or by id; the query stays in the URL. */
export function Users() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const [draft, setDraft] = useState(q);
  const users = useInfiniteQuery({
    queryKey: ['admin', 'users', q],
    queryFn: ({ pageParam }) => {
      const query = new URLSearchParams({ limit: '25' });
      if (q) query.set('q', q);
      if (pageParam) query.set('cursor', pageParam);
      return api<Page<AdminUser>>('GET', `/api/v1/admin/users?${query.toString()}`);
    },
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = users.data?.pages.flatMap((p) => p.data) ?? [];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setParams(draft.trim() ? { q: draft.trim() } : {});
  };

  return (
    <>
      <PageHeader title="Users" description="Find an account by e-mail address or id." />
      <form className="toolbar admin-search" role="search" onSubmit={submit}>
        <label htmlFor="user-search">Search</label>
        <input
          id="user-search"
          className="input"
          type="search"
          placeholder="name@example.com or a user id"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" className="button button-primary" id="user-search-btn">
          Search
        </button>
      </form>
      <div className="card card-flush">
        {users.isPending ? <Spinner /> : null}
        <AdminError error={users.error} />
        {users.isSuccess && rows.length === 0 ? (
          <Empty title={q ? `No user matches “${q}”` : 'No users yet'} />
        ) : null}
        {rows.length > 0 ? (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Users">
            <table className="table admin-users-table">
              <caption className="visually-hidden">Users</caption>
              <thead>
                <tr>
                  <th scope="col">E-mail</th>
                  <th scope="col">Status</th>
                  <th scope="col">Role</th>
                  <th scope="col">Tier</th>
                  <th scope="col">Joined</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((user) => (
                  <tr key={user.id} data-user-id={user.id}>
                    <td>
                      <Link to={`/admin/users/${user.id}`}>{user.email}</Link>
                    </td>
                    <td>
                      <StatusBadge status={user.status} />
                    </td>
                    <td>{user.role}</td>
                    <td>{user.tier}</td>
                    <td>{formatDate(user.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </div>
      {users.hasNextPage ? (
        <button
          type="button"
          className="button button-secondary load-more"
          disabled={users.isFetchingNextPage}
          onClick={() => void users.fetchNextPage()}
        >
          Load more
        </button>
      ) : null}
    </>
  );
}
