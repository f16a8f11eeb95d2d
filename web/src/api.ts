/** The one way the pages talk to the API: cookies for auth, the CSRF header, refresh on 401. */

export interface Money {
  amount: number;
  currency: string;
}

export interface User {
  id: string;
  email: string;
  emailConfirmed: boolean;
  role: 'user' | 'admin';
  status: 'active' | 'suspended';
  tier: string;
  mfaEnabled: boolean;
  createdAt: string;
}

export interface Wallet {
  balance: Money;
  held: Money;
  includedUsage: { freeVerifications: number };
}

export type VerificationStatus = 'pending' | 'active' | 'completed' | 'canceled' | 'expired' | 'failed';

export interface VerificationMessage {
  id: string;
  from: string | null;
  text: string | null;
  code: string | null;
  receivedAt: string;
  afterExpiry: boolean;
}

export interface Verification {
  id: string;
  status: VerificationStatus;
  service: string;
  country: string;
  capability: 'sms' | 'voice';
  phoneNumber: string | null;
  price: Money;
  code: string | null;
  expiresAt: string | null;
  failureCode: string | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  /** The completed order whose number this one bought again. */
  reusedFrom: string | null;
  renewal: 'reuse' | 'reactivate' | null;
  /** Only on GET of a completed order: the provider's offer to buy the number again. */
  renewable?: { reusableUntil: string | null; canReactivate: boolean } | null;
  messages?: VerificationMessage[];
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** The server's `Retry-After` (429, 503), in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** Worth asking again later (a rate limit or a short outage), not a refusal of the request. */
  get transient(): boolean {
    return this.status === 429 || this.status === 503;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The CSRF cookie lives as long as the refresh token: without it there is no session to ask about. */
export function mayHaveSession(): boolean {
  return csrfToken() !== undefined;
}

function csrfToken(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === 'nmk_csrf') return decodeURIComponent(value.join('='));
  }
  return undefined;
}

let refreshing: Promise<boolean> | null = null;

/** One refresh at a time, however many requests found the access token expired. */
function refreshSession(): Promise<boolean> {
  refreshing ??= send('POST', '/api/v1/auth/refresh', undefined, {})
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function send(method: string, path: string, body: unknown, headers: Record<string, string>) {
  const csrf = csrfToken();
  return fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(!SAFE.has(method) && csrf ? { 'x-csrf-token': csrf } : {}),
      ...headers,
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
}

export interface RequestOptions {
  idempotencyKey?: string;
}

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  let response = await send(method, path, body, headers);
  if (response.status === 401 && !path.startsWith('/api/v1/auth/')) {
    const code = await peekCode(response);
    if (code === 'unauthenticated' && mayHaveSession() && (await refreshSession()))
      response = await send(method, path, body, headers);
    else return fail(response.status, code, response);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const json = text ? (safeJson(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })
      ?.error;
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `The server answered ${response.status}.`,
      error?.details,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
  return json as T;
}

async function peekCode(response: Response): Promise<string> {
  const json = safeJson(await response.clone().text()) as { error?: { code?: string } } | undefined;
  return json?.error?.code ?? 'unauthenticated';
}

async function fail(status: number, code: string, response: Response): Promise<never> {
  const json = safeJson(await response.text()) as { error?: { message?: string } } | undefined;
  throw new ApiError(status, code, json?.error?.message ?? 'Please sign in.');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
