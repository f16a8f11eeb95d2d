import { useInfiniteQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { type Page, api } from '../../api';
import { Empty, Spinner } from '../../components/ui';
import { AdminError } from './common';

/** A cursor-paged admin list (`{data, nextCursor}`), `query` added to every page's request. */
export function usePaged<T>(queryKey: unknown[], path: string, query: Record<string, string> = {}) {
  return useInfiniteQuery({
    queryKey: [...queryKey, query],
    queryFn: ({ pageParam }) => {
      const params = new URLSearchParams({ limit: '25', ...query });
      if (pageParam) params.set('cursor', pageParam);
      return api<Page<T>>('GET', `${path}?${params.toString()}`);
    },
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

/**
 * A titled card around a paged table: loading, error and empty states, and "Load more". The table
 * scrolls sideways on a phone; the region is focusable so a keyboard can scroll it too.
 */
export function PagedSection<T>({
  id,
  title,
  empty,
  paged,
  children,
}: {
  id: string;
  title: string;
  empty: string;
  paged: ReturnType<typeof usePaged<T>>;
  children: (rows: T[]) => ReactNode;
}) {
  const rows = paged.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <section className="card card-flush" aria-labelledby={`${id}-title`}>
      <div className="card-header card-header-padded">
        <h2 id={`${id}-title`}>{title}</h2>
      </div>
      {paged.isPending ? <Spinner /> : null}
      {paged.error ? (
        <div className="card-body-padded">
          <AdminError error={paged.error} />
        </div>
      ) : null}
      {paged.isSuccess && rows.length === 0 ? <Empty title={empty} /> : null}
      {rows.length > 0 ? (
        <div className="table-wrap" tabIndex={0} role="region" aria-labelledby={`${id}-title`}>
          {children(rows)}
        </div>
      ) : null}
      {paged.hasNextPage ? (
        <button
          type="button"
          className="button button-secondary load-more admin-load-more"
          disabled={paged.isFetchingNextPage}
          onClick={() => void paged.fetchNextPage()}
        >
          {paged.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </section>
  );
}
