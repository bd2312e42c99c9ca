import { useEffect, useState } from 'preact/hooks';
import { api, type RequestOptions } from '../api/client.ts';
import { describeError, isAbort, isMissingRoute } from '../api/errors.ts';

/** What a page's GET answered: loading, the data, the API missing on this server, or an error sentence. */
export type Loaded<T> =
  | { state: 'loading'; data?: T }
  | { state: 'ok'; data: T }
  | { state: 'missing'; data?: undefined }
  | { state: 'error'; message: string; data?: T };

/**
 * GETs `path` whenever `key` changes (and on `reload()`); a route this server does not have
 * (404 route_not_found) is `missing`, so a page built for a newer server says so instead of failing.
 */
export function useApi<T>(
  path: string | undefined,
  opts: Omit<RequestOptions, 'signal' | 'method' | 'body'> & { what: string },
  key: unknown[] = [],
): Loaded<T> & { reload(): void } {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!path) return;
    const abort = new AbortController();
    setLoaded((l) => ({ state: 'loading', data: l.data }));
    api<T>(path, { ...opts, signal: abort.signal }).then(
      ({ data }) => setLoaded({ state: 'ok', data }),
      (err) => {
        if (isAbort(err)) return;
        if (isMissingRoute(err)) setLoaded({ state: 'missing' });
        else setLoaded((l) => ({ state: 'error', message: describeError(err, opts.what), data: l.data }));
      },
    );
    return () => abort.abort();
  }, [path, version, ...key]);
  return { ...loaded, reload: () => setVersion((v) => v + 1) };
}

/** A list answer as `{items}` (the house shape) or a bare array. */
export const itemsOf = <T>(data: unknown, field = 'items'): T[] =>
  Array.isArray(data)
    ? (data as T[])
    : (((data as Record<string, unknown> | undefined)?.[field] as T[]) ?? []);
