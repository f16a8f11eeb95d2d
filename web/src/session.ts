import { useQuery } from '@tanstack/react-query';
import { ApiError, type User, type Wallet, api, mayHaveSession } from './api';

export interface Meta {
  embedded: boolean;
  sandboxMailUrl: string | null;
}

export function useMe() {
  return useQuery<User | null>({
    queryKey: ['me'],
    queryFn: async () => {
      if (!mayHaveSession()) return null;
      try {
        return await api<User>('GET', '/api/v1/me');
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 30_000,
  });
}

export function useMeta() {
  return useQuery<Meta>({
    queryKey: ['meta'],
    queryFn: () => api<Meta>('GET', '/api/v1/meta'),
    staleTime: Infinity,
  });
}

export function useWallet(enabled = true) {
  return useQuery<Wallet>({
    queryKey: ['wallet'],
    queryFn: () => api<Wallet>('GET', '/api/v1/wallet'),
    enabled,
  });
}
