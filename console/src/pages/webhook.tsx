import { useEffect, useState } from 'preact/hooks';
import { type Delivery, type Subscription, V1 } from '../api/admin-types.ts';
import { api } from '../api/client.ts';
import { Alert } from '../components/alert.tsx';
import { Confirm } from '../components/confirm.tsx';
import { SecretOnce } from '../components/secret-once.tsx';
import { Time } from '../components/time.tsx';
import { useAction } from '../lib/use-action.ts';
import { itemsOf, useApi } from '../lib/use-api.ts';
import { href } from '../router.ts';
import type { PageProps } from './registry.ts';
import { canChangeHooks, HOOKS } from './webhooks.tsx';

// One subscription and its recent delivery attempts (refreshed every few seconds while open), and
// the rotation of its signing secret (admin:write): the new secret is shown once, and every
// delivery from then on, retries of earlier events included, is signed with it.

const REFRESH_MS = 3000;

export default function WebhookPage({ params }: PageProps) {
  const path = `${HOOKS}/${encodeURIComponent(params.id)}`;
  const sub = useApi<Subscription>(path, { what: 'Loading the subscription', accept: V1 });
  const deliveries = useApi<unknown>(`${path}/deliveries`, { what: 'Loading the deliveries', accept: V1 });
  useEffect(() => {
    const timer = setInterval(() => deliveries.reload(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [path]);
  const [confirming, setConfirming] = useState(false);
  const [secret, setSecret] = useState<string>();
  const { busy, error, run } = useAction(() => setConfirming(false));
  const rotate = () =>
    run(async () => {
      const { data } = await api<Subscription & { secret: string }>(`${path}/rotate-secret`, {
        method: 'POST',
        body: {},
        accept: V1,
      });
      setSecret(data.secret);
    }, 'Rotating the signing secret');
  const s = sub.data;
  const items = itemsOf<Delivery>(deliveries.data);
  return (
    <section aria-labelledby="page-title">
      <p class="crumbs">
        <a href={href('/webhooks')}>← Webhooks</a>
      </p>
      <h1 id="page-title" tabIndex={-1}>
        {s?.name ?? 'Subscription'}
      </h1>
      {sub.state === 'error' && <Alert kind="error">{sub.message}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
      {secret && (
        <SecretOnce
          title="New signing secret"
          fields={[{ label: 'Signing secret', value: secret, secret: true }]}
          note="Base64: decode it to get the HS256 key. The old secret no longer signs anything: update the endpoint before the next event."
          onDismiss={() => setSecret(undefined)}
        />
      )}
      {s && (
        <dl class="meta">
          <div class="wide">
            <dt>URL</dt>
            <dd>
              <code>{s.url}</code>
            </dd>
          </div>
          <div class="wide">
            <dt>Events</dt>
            <dd>{s.events.join(', ')}</dd>
          </div>
          <div>
            <dt>State</dt>
            <dd>{s.enabled ? 'enabled' : 'disabled'}</dd>
          </div>
        </dl>
      )}
      {s && canChangeHooks() && (
        <p class="actions">
          <button type="button" onClick={() => setConfirming(true)} disabled={busy}>
            Rotate secret
          </button>
        </p>
      )}
      {confirming && s && (
        <Confirm
          title="Rotate the signing secret?"
          confirmLabel="Rotate"
          busy={busy}
          onCancel={() => setConfirming(false)}
          onConfirm={() => void rotate()}
        >
          <p>
            <strong>{s.name}</strong> gets a new secret, shown once. From now on every request to{' '}
            <code>{s.url}</code> is signed with it, and the endpoint's check with the old one fails.
          </p>
        </Confirm>
      )}
      <h2>Deliveries</h2>
      {deliveries.state === 'error' && <Alert kind="error">{deliveries.message}</Alert>}
      {deliveries.state === 'ok' && items.length === 0 && (
        <p class="muted">No deliveries yet: they appear when a subscribed event happens.</p>
      )}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="results deliveries">
            <caption class="visually-hidden">Recent deliveries</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Answer</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.deliveryId}>
                  <td data-label="Time">
                    <Time iso={d.lastAttemptAt ?? d.createdAt} />
                  </td>
                  <td data-label="Event">
                    {d.eventType}
                    <div class="muted small mono">{d.eventId}</div>
                    {d.subject && (
                      <a href={href(`/interactions/${d.subject}`)} class="small">
                        interaction {d.subject.slice(0, 8)}…
                      </a>
                    )}
                  </td>
                  <td data-label="Status">
                    <span class={`badge badge-${d.status}`}>{d.status}</span>
                    {d.nextAttemptAt && (
                      <div class="muted small">
                        next try <Time iso={d.nextAttemptAt} />
                      </div>
                    )}
                  </td>
                  <td data-label="Attempts">{d.attempts}</td>
                  <td data-label="Answer">
                    {d.lastStatusCode ?? '—'}
                    {d.lastError && <div class="muted small">{d.lastError}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
