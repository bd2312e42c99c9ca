import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { ApiError, describeError, isAbort } from '../api/errors.ts';
import { Alert } from '../components/alert.tsx';
import { currentRoute } from '../router.ts';
import { matchPage, type PageProps } from './registry.ts';

/**
 * The seam for pages whose API other parts of ICS are building: it asks the API whether it exists.
 * 404 → not available on this server; anything else → the API is there and the page is next.
 */
export default function PlannedPage({ route }: PageProps) {
  const page = matchPage(route.path ?? currentRoute().path)?.page;
  const [state, setState] = useState<'probing' | 'missing' | 'present' | string>('probing');
  useEffect(() => {
    if (!page?.probe) return;
    const abort = new AbortController();
    api(page.probe.path, { accept: page.probe.accept, signal: abort.signal }).then(
      () => setState('present'),
      (err) => {
        if (isAbort(err)) return;
        if (err instanceof ApiError && err.status === 404) setState('missing');
        else setState(describeError(err, `The ${page.title} API`));
      },
    );
    return () => abort.abort();
  }, [page?.id]);
  if (!page?.probe) return null;
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        {page.title}
      </h1>
      <p>This page will offer {page.probe.offers}.</p>
      {state === 'probing' && <p class="muted">Asking the server…</p>}
      {state === 'missing' && (
        <Alert kind="info">
          Not available on this server: <code>GET {page.probe.path}</code> answers 404. A server with this API
          shows it here.
        </Alert>
      )}
      {state === 'present' && (
        <Alert kind="info">
          This server offers the API (<code>{page.probe.path}</code>), but this console version has no page
          for it yet.
        </Alert>
      )}
      {state !== 'probing' && state !== 'missing' && state !== 'present' && (
        <Alert kind="warning">{state}</Alert>
      )}
    </section>
  );
}
