import { ApiError } from './errors.ts';

export const V3 = 'application/vnd.newvoicemedia.v3+json';

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  accept?: string;
  signal?: AbortSignal;
}

export interface Response<T> {
  data: T;
  headers: Headers;
  status: number;
}

export interface TokenSource {
  /** The current access token, or undefined when signed out. */
  token(): string | undefined;
  /** Called on 401: the token is no longer accepted. */
  rejected(): void;
}

let source: TokenSource = { token: () => undefined, rejected: () => {} };
export const setTokenSource = (s: TokenSource) => {
  source = s;
};

export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

export async function toApiError(res: globalThis.Response): Promise<ApiError> {
  let message = res.statusText || `HTTP ${res.status}`;
  let code: string | undefined;
  try {
    const body = (await res.json()) as { message?: unknown; code?: unknown; error?: unknown };
    if (typeof body.message === 'string') message = body.message;
    if (typeof body.code === 'string') code = body.code;
    else if (typeof body.error === 'string') code = body.error;
  } catch {
    // not JSON: keep the status text
  }
  const retry = res.headers.get('retry-after');
  const scope = /scope="([^"]+)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1];
  return new ApiError({
    status: res.status,
    message,
    code,
    retryAfter: retry !== null && /^\d+$/.test(retry) ? Number(retry) : undefined,
    scope,
  });
}

/** A raw authorised request (downloads): the Response, or an ApiError thrown. */
export async function authorisedFetch(url: string, init: RequestInit = {}): Promise<globalThis.Response> {
  const token = source.token();
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(url, { ...init, headers, credentials: 'omit', cache: 'no-store' });
  if (!res.ok) {
    const err = await toApiError(res);
    if (res.status === 401 && token) source.rejected();
    throw err;
  }
  return res;
}

/** A JSON API request with the VCC version header and the session's token. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<Response<T>> {
  const res = await authorisedFetch(apiUrl(path, opts.query), {
    method: opts.method ?? 'GET',
    headers: {
      accept: opts.accept ?? V3,
      ...(opts.body !== undefined && { 'content-type': 'application/json' }),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  });
  const text = res.status === 204 ? '' : await res.text();
  return { data: (text ? JSON.parse(text) : undefined) as T, headers: res.headers, status: res.status };
}
