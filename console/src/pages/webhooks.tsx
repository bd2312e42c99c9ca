import { useState } from 'preact/hooks';
import { type EventType, type Subscription, V1 } from '../api/admin-types.ts';
import { api } from '../api/client.ts';
import { hasScope } from '../auth/session.ts';
import { Alert } from '../components/alert.tsx';
import { Confirm } from '../components/confirm.tsx';
import { MissingApi } from '../components/missing-api.tsx';
import { SecretOnce } from '../components/secret-once.tsx';
import { useAction } from '../lib/use-action.ts';
import { itemsOf, useApi } from '../lib/use-api.ts';
import { href } from '../router.ts';
import type { PageProps } from './registry.ts';

// Webhook subscriptions (VCC's Webhooks API, platform-api §3): list, create (the signing secret is
// shown once), enable/disable, delete; each subscription's page lists its deliveries.

export const HOOKS = '/webhooks/subscriptions';
/** admin:write, or interaction-content:admin which grants it. */
export const canChangeHooks = () => hasScope('interaction-content:admin') || hasScope('admin:write');

export default function WebhooksPage(_: PageProps) {
  const list = useApi<unknown>(HOOKS, { what: 'Loading the subscriptions', accept: V1 });
  const types = useApi<unknown>('/webhooks/event-types', { what: 'Loading the event types', accept: V1 });
  const [secret, setSecret] = useState<{ name: string; secret: string }>();
  const [removing, setRemoving] = useState<Subscription>();
  const { busy, error, run: act } = useAction(() => setRemoving(undefined));
  const write = canChangeHooks();
  const create = (body: object) =>
    act(async () => {
      const { data } = await api<Subscription & { secret: string }>(HOOKS, {
        method: 'POST',
        body,
        accept: V1,
      });
      setSecret({ name: data.name, secret: data.secret });
      list.reload();
    }, 'Creating the subscription');
  const toggle = (s: Subscription) =>
    act(
      async () => {
        await api(`${HOOKS}/${encodeURIComponent(s.subscriptionId)}`, {
          method: 'PATCH',
          body: { enabled: !s.enabled },
          accept: V1,
        });
        list.reload();
      },
      s.enabled ? 'Disabling the subscription' : 'Enabling the subscription',
    );
  const remove = (s: Subscription) =>
    act(async () => {
      await api(`${HOOKS}/${encodeURIComponent(s.subscriptionId)}`, { method: 'DELETE', accept: V1 });
      list.reload();
    }, 'Deleting the subscription');

  const subs = itemsOf<Subscription>(list.data);
  const eventTypes = itemsOf<EventType>(types.data);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Webhooks
      </h1>
      <p class="muted">
        Signed CloudEvents POSTed to your endpoints when content is added or deleted, holds change, jobs and
        sweeps finish. Each request carries a <code>Vonage-Signature</code> JWT made with the subscription's
        secret.
      </p>
      {list.state === 'missing' && <MissingApi path={HOOKS} />}
      {list.state === 'error' && <Alert kind="error">{list.message}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
      {secret && (
        <SecretOnce
          title={`Subscription created: ${secret.name}`}
          fields={[{ label: 'Signing secret', value: secret.secret, secret: true }]}
          note="Base64: decode it to get the HS256 key that checks the Vonage-Signature header."
          onDismiss={() => setSecret(undefined)}
        />
      )}
      {list.state !== 'missing' && (
        <>
          {write && <CreateForm types={eventTypes} busy={busy} onCreate={create} />}
          <h2>Subscriptions ({subs.length})</h2>
          {list.state === 'ok' && subs.length === 0 && <p class="muted">No subscriptions yet.</p>}
          {subs.length > 0 && (
            <div class="table-wrap">
              <table class="results hooks">
                <caption class="visually-hidden">Webhook subscriptions</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">URL</th>
                    <th scope="col">Events</th>
                    <th scope="col">State</th>
                    {write && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {subs.map((s) => (
                    <tr key={s.subscriptionId}>
                      <td data-label="Name">
                        <a href={href(`/webhooks/${s.subscriptionId}`)}>{s.name}</a>
                      </td>
                      <td data-label="URL" class="url">
                        <code>{s.url}</code>
                      </td>
                      <td data-label="Events">
                        <ul class="chips">
                          {s.events.map((e) => (
                            <li key={e}>{e}</li>
                          ))}
                        </ul>
                      </td>
                      <td data-label="State">
                        {s.enabled ? 'enabled' : <span class="muted">disabled</span>}
                      </td>
                      {write && (
                        <td data-label="Actions" class="row-actions">
                          <button
                            type="button"
                            disabled={busy}
                            onClick={() => void toggle(s)}
                            aria-label={`${s.enabled ? 'Disable' : 'Enable'} ${s.name}`}
                          >
                            {s.enabled ? 'Disable' : 'Enable'}
                          </button>
                          <button
                            type="button"
                            class="danger"
                            disabled={busy}
                            onClick={() => setRemoving(s)}
                            aria-label={`Delete ${s.name}`}
                          >
                            Delete…
                          </button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {removing && (
        <Confirm
          title="Delete this subscription?"
          confirmLabel="Delete"
          danger
          busy={busy}
          onCancel={() => setRemoving(undefined)}
          onConfirm={() => void remove(removing)}
        >
          <p>
            <strong>{removing.name}</strong> (<code>{removing.url}</code>) stops receiving events; deliveries
            not yet made are dropped.
          </p>
        </Confirm>
      )}
    </section>
  );
}

function CreateForm(props: { types: EventType[]; busy: boolean; onCreate(body: object): void }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [enabled, setEnabled] = useState(true);
  const [secret, setSecret] = useState('');
  const offered = ['*', ...props.types.map((t) => t.name)];
  const toggle = (e: string) =>
    setEvents(events.includes(e) ? events.filter((x) => x !== e) : [...events, e]);
  return (
    <details class="panel">
      <summary>Create a subscription</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          props.onCreate({
            name: name.trim(),
            url: url.trim(),
            events,
            enabled,
            ...(secret.trim() && { secret: secret.trim() }),
          });
        }}
      >
        <div class="job-fields">
          <div class="field">
            <label for="w-name">Name</label>
            <input
              id="w-name"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
              minLength={3}
              maxLength={128}
              required
            />
          </div>
          <div class="field wide">
            <label for="w-url">Endpoint URL</label>
            <input
              id="w-url"
              type="url"
              value={url}
              onInput={(e) => setUrl(e.currentTarget.value)}
              required
              placeholder="https://example.com/ics-events"
            />
          </div>
        </div>
        <fieldset class="checks">
          <legend>Events</legend>
          {offered.map((e) => {
            const t = props.types.find((x) => x.name === e);
            return (
              <label key={e} class="check">
                <input type="checkbox" checked={events.includes(e)} onChange={() => toggle(e)} />
                <span>
                  <code>{e}</code>
                  <span class="muted small"> — {e === '*' ? 'every event' : (t?.description ?? '')}</span>
                </span>
              </label>
            );
          })}
        </fieldset>
        <label class="check">
          <input type="checkbox" checked={enabled} onChange={() => setEnabled(!enabled)} /> Enabled
        </label>
        <div class="field">
          <label for="w-secret">Secret (optional: base64 of at least 32 bytes; generated when empty)</label>
          <input
            id="w-secret"
            value={secret}
            onInput={(e) => setSecret(e.currentTarget.value)}
            autoComplete="off"
          />
        </div>
        <button
          type="submit"
          class="primary"
          disabled={props.busy || name.trim().length < 3 || !url.trim() || events.length === 0}
        >
          Create subscription
        </button>
      </form>
    </details>
  );
}
