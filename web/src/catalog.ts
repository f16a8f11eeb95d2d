import { useQuery } from '@tanstack/react-query';
import { useCallback } from 'react';
import { type Money, api } from './api';
import type { Delivery } from './delivery';

/** `GET /api/v1/catalog/services` rows: a service's name is its id, its display name is for people. */
export interface CatalogService {
  name: string;
  displayName: string;
  category: string;
  capabilities: ('sms' | 'voice')[];
  price: Money | null;
  available: boolean | null;
  /** For the country asked for (every country when none is), every provider together. */
  delivery: Delivery;
}

/** The catalogue for `country` ('' for every country), shared by the pages that need it. */
export function useServices(country = '') {
  return useQuery({
    queryKey: ['services', country],
    queryFn: () =>
      api<{ data: CatalogService[] }>(
        'GET',
        `/api/v1/catalog/services${country ? `?country=${encodeURIComponent(country)}` : ''}`,
      ),
    staleTime: 60_000,
  });
}

/** A service id to its display name; the id itself until the catalogue is loaded (or if it left it). */
export function useServiceName(): (name: string) => string {
  const services = useServices();
  const list = services.data?.data;
  return useCallback((name: string) => list?.find((s) => s.name === name)?.displayName ?? name, [list]);
}
