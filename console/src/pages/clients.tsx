import { useState } from 'preact/hooks';
import { type ApiClient, type CreatedApiClient, SCOPE_HELP } from '../api/admin-types.ts';
import { api } from '../api/client.ts';
import { API } from '../api/types.ts';
import { signOut } from '../auth/session.ts';
import { Alert } from '../components/alert.tsx';
import { Confirm } from '../components/confirm.tsx';
import { MissingApi } from '../components/missing-api.tsx';
import { SecretOnce } from '../components/secret-once.tsx';
import { Time } from '../components/time.tsx';
import { useSession } from '../context.ts';
import { TYPE_LABELS, typeLabel } from '../lib/content-kinds.ts';
import { useAction } from '../lib/use-action.ts';
import { itemsOf, useApi } from '../lib/use-api.ts';
import type { PageProps } from './registry.ts';

// The account's API clients (admin scope): list, create with scopes, revoke, rotate, and restrict
// what each may read and delete (content types and directions, as VCC's user permissions). A new or
// rotated secret is shown once and never kept. The server refuses scopes the caller lacks; the form
// offers only the scopes this sign-in holds.

const PATH = `${API}/clients`;

type Pending = { kind: 'revoke' | 'rotate' | 'permissions'; client: ApiClient };

export default function ClientsPage(_: PageProps) {
  const session = useSession();
  const list = useApi<unknown>(PATH, { what: 'Loading the clients' });
  const [secret, setSecret] = useState<{ title: string; clientId: string; clientSecret: string }>();
  const [pending, setPending] = useState<Pending>();
  const [notice, setNotice] = useState<string>();
  const action = useAction(() => setPending(undefined));
  const { busy, error } = action;
  const act = (fn: () => Promise<void>, what: string) => {
    setNotice(undefined);
    return action.run(fn, what);
  };

  const create = (name: string, scopes: string[]) =>
    act(async () => {
      const { data } = await api<CreatedApiClient>(PATH, {
        method: 'POST',
        body: { scopes, ...(name && { name }) },
      });
      setSecret({ title: `Client created: ${data.name ?? data.clientId}`, ...data });
      list.reload();
    }, 'Creating the client');

  const revoke = (c: ApiClient) =>
    act(async () => {
      await api(`${PATH}/${encodeURIComponent(c.clientId)}/revoke`, { method: 'POST' });
      if (c.clientId === session.who) {
        signOut('You revoked the client you were signed in with.');
        return;
      }
      setNotice(`Client ${c.name ?? c.clientId} revoked: its tokens are refused from now on.`);
      list.reload();
    }, 'Revoking the client');

  const rotate = (c: ApiClient) =>
    act(async () => {
      const { data } = await api<CreatedApiClient>(`${PATH}/${encodeURIComponent(c.clientId)}/rotate`, {
        method: 'POST',
      });
      setSecret({
        title: `New secret for ${c.name ?? c.clientId}`,
        clientId: c.clientId,
        clientSecret: data.clientSecret,
      });
      list.reload();
    }, 'Rotating the secret');

  const setPermissions = (c: ApiClient, permissions: PermissionsBody) =>
    act(async () => {
      await api(`${PATH}/${encodeURIComponent(c.clientId)}/permissions`, {
        method: 'PUT',
        body: permissions,
      });
      setNotice(`Permissions of ${c.name ?? c.clientId} saved: its tokens follow within seconds.`);
      list.reload();
    }, 'Saving the permissions');

  const clients = itemsOf<ApiClient>(list.data);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        API clients
      </h1>
      <p class="muted">
        The clients of account <strong>{session.account}</strong>: each signs in with its id and secret and
        gets only its scopes.
      </p>
      {list.state === 'missing' && <MissingApi path={PATH} />}
      {list.state === 'error' && <Alert kind="error">{list.message}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
      {notice && <Alert kind="success">{notice}</Alert>}
      {secret && (
        <SecretOnce
          title={secret.title}
          fields={[
            { label: 'Client id', value: secret.clientId },
            { label: 'Client secret', value: secret.clientSecret, secret: true },
          ]}
          note="Use them at POST /Auth/connect/token (client-credentials grant)."
          onDismiss={() => setSecret(undefined)}
        />
      )}
      {list.state !== 'missing' && (
        <>
          <CreateForm held={session.scopes} busy={busy} onCreate={create} />
          <h2>Clients ({clients.length})</h2>
          {list.state === 'loading' && !list.data && <p class="muted">Loading…</p>}
          {clients.length > 0 && (
            <div class="table-wrap">
              <table class="results clients">
                <caption class="visually-hidden">API clients</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Client id</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Created</th>
                    <th scope="col">State</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {clients.map((c) => (
                    <tr key={c.clientId}>
                      <td data-label="Name">
                        {c.name ?? <span class="muted">unnamed</span>}
                        {c.clientId === session.who && <span class="badge badge-you">you</span>}
                      </td>
                      <td data-label="Client id">
                        <code>{c.clientId}</code>
                      </td>
                      <td data-label="Scopes">
                        <ul class="chips">
                          {c.scopes.map((s) => (
                            <li key={s}>{s}</li>
                          ))}
                        </ul>
                        <Permissions value={c.permissions} />
                      </td>
                      <td data-label="Created">
                        <Time iso={c.createdAt} />
                      </td>
                      <td data-label="State">
                        {c.revokedAt ? (
                          <span class="badge badge-hold">
                            revoked <Time iso={c.revokedAt} />
                          </span>
                        ) : (
                          'active'
                        )}
                      </td>
                      <td data-label="Actions" class="row-actions">
                        {!c.revokedAt && (
                          <>
                            <button
                              type="button"
                              disabled={busy || c.scopes.some((x) => !session.scopes.has(x))}
                              title={
                                c.scopes.some((x) => !session.scopes.has(x))
                                  ? 'It has scopes your sign-in lacks, so you cannot get its secret'
                                  : undefined
                              }
                              onClick={() => setPending({ kind: 'rotate', client: c })}
                              aria-label={`Rotate the secret of ${c.name ?? c.clientId}`}
                            >
                              Rotate…
                            </button>
                            <button
                              type="button"
                              disabled={busy}
                              onClick={() => setPending({ kind: 'permissions', client: c })}
                              aria-label={`Permissions of ${c.name ?? c.clientId}`}
                            >
                              Permissions…
                            </button>
                            <button
                              type="button"
                              class="danger"
                              disabled={busy}
                              onClick={() => setPending({ kind: 'revoke', client: c })}
                              aria-label={`Revoke ${c.name ?? c.clientId}`}
                            >
                              Revoke…
                            </button>
                          </>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {pending?.kind === 'revoke' && (
        <Confirm
          title="Revoke this client?"
          confirmLabel="Revoke"
          danger
          busy={busy}
          onCancel={() => setPending(undefined)}
          onConfirm={() => void revoke(pending.client)}
        >
          <p>
            <strong>{pending.client.name ?? pending.client.clientId}</strong> (
            <code>{pending.client.clientId}</code>) can no longer get tokens, and the tokens it holds are
            refused within seconds. It cannot be undone.
          </p>
          {pending.client.clientId === session.who && (
            <p>This is the client you are signed in with: you will be signed out.</p>
          )}
        </Confirm>
      )}
      {pending?.kind === 'rotate' && (
        <Confirm
          title="Rotate this client's secret?"
          confirmLabel="Rotate"
          busy={busy}
          onCancel={() => setPending(undefined)}
          onConfirm={() => void rotate(pending.client)}
        >
          <p>
            <strong>{pending.client.name ?? pending.client.clientId}</strong> gets a new secret, shown once;
            the old secret stops working. Tokens already issued stay valid until they expire.
          </p>
        </Confirm>
      )}
      {pending?.kind === 'permissions' && (
        <PermissionsEditor
          client={pending.client}
          busy={busy}
          onCancel={() => setPending(undefined)}
          onSave={(body) => void setPermissions(pending.client, body)}
        />
      )}
    </section>
  );
}

type Side = 'read' | 'delete';
type Access = { types: string[]; directions: string[] };
/** The body of PUT …/permissions: a side or list left out is unrestricted. */
type PermissionsBody = Partial<Record<Side, Partial<Access>>>;
const DIRECTIONS = ['inbound', 'outbound'];

function accessOf(value: ApiClient['permissions'], side: Side): Access {
  const access = (value?.[side] ?? null) as { types?: string[] | null; directions?: string[] | null } | null;
  return { types: access?.types ?? [], directions: access?.directions ?? [] };
}

/** The content-permissions dialog: per side, the types and directions allowed; none ticked = any. */
function PermissionsEditor(props: {
  client: ApiClient;
  busy: boolean;
  onCancel(): void;
  onSave(body: PermissionsBody): void;
}) {
  const [state, setState] = useState<Record<Side, Access>>({
    read: accessOf(props.client.permissions, 'read'),
    delete: accessOf(props.client.permissions, 'delete'),
  });
  const toggle = (side: Side, list: keyof Access, value: string) => {
    const current = state[side][list];
    const next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
    setState({ ...state, [side]: { ...state[side], [list]: next } });
  };
  const body: PermissionsBody = {};
  for (const side of ['read', 'delete'] as const) {
    const { types, directions } = state[side];
    if (types.length > 0 || directions.length > 0)
      body[side] = { ...(types.length > 0 && { types }), ...(directions.length > 0 && { directions }) };
  }
  return (
    <Confirm
      title={`Permissions of ${props.client.name ?? props.client.clientId}`}
      confirmLabel="Save permissions"
      busy={props.busy}
      onCancel={props.onCancel}
      onConfirm={() => props.onSave(body)}
    >
      <p class="muted small">
        What this client may read and delete, on top of its scopes. Nothing ticked in a group means no
        restriction there. A client may not be given more than your own sign-in may do.
      </p>
      {(['read', 'delete'] as const).map((side) => (
        <div key={side} class="permissions-side">
          <h3>{side === 'read' ? 'Read (search, get, download)' : 'Delete'}</h3>
          <fieldset class="checks">
            <legend>
              Content types {side}able{' '}
              <span class="muted small">
                ({state[side].types.length ? state[side].types.map(typeLabel).join(', ') : 'every type'})
              </span>
            </legend>
            {Object.keys(TYPE_LABELS).map((t) => (
              <label key={t} class="check">
                <input
                  type="checkbox"
                  checked={state[side].types.includes(t)}
                  onChange={() => toggle(side, 'types', t)}
                  aria-label={`${side}: ${typeLabel(t)}`}
                />
                <span>{typeLabel(t)}</span>
              </label>
            ))}
          </fieldset>
          <fieldset class="checks">
            <legend>
              Directions{' '}
              <span class="muted small">
                ({state[side].directions.length ? state[side].directions.join(', ') : 'both'})
              </span>
            </legend>
            {DIRECTIONS.map((d) => (
              <label key={d} class="check">
                <input
                  type="checkbox"
                  checked={state[side].directions.includes(d)}
                  onChange={() => toggle(side, 'directions', d)}
                  aria-label={`${side}: ${d}`}
                />
                <span>{d}</span>
              </label>
            ))}
          </fieldset>
        </div>
      ))}
    </Confirm>
  );
}

function CreateForm(props: {
  held: ReadonlySet<string>;
  busy: boolean;
  onCreate(name: string, scopes: string[]): void;
}) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<string>>(new Set(['interaction-content:read']));
  const offered = [...new Set([...Object.keys(SCOPE_HELP), ...props.held])];
  const toggle = (s: string) => {
    const next = new Set(scopes);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    setScopes(next);
  };
  const chosen = [...scopes].filter((s) => props.held.has(s));
  return (
    <details class="panel">
      <summary>Create a client</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          props.onCreate(name.trim(), chosen);
        }}
      >
        <div class="field">
          <label for="client-name">Name (optional)</label>
          <input
            id="client-name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            maxLength={200}
            placeholder="e.g. QA recorder integration"
          />
        </div>
        <fieldset class="checks">
          <legend>Scopes</legend>
          {offered.map((s) => (
            <label key={s} class="check">
              <input
                type="checkbox"
                checked={scopes.has(s) && props.held.has(s)}
                disabled={!props.held.has(s)}
                onChange={() => toggle(s)}
              />
              <span>
                <code>{s}</code>
                {SCOPE_HELP[s] && <span class="muted small"> — {SCOPE_HELP[s]}</span>}
                {!props.held.has(s) && (
                  <span class="muted small"> (your sign-in lacks it, so you cannot grant it)</span>
                )}
              </span>
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary" disabled={props.busy || chosen.length === 0}>
          Create client
        </button>
      </form>
    </details>
  );
}

/**
 * A client's content restrictions in one line (`read: Call recording; inbound · delete: …`), or
 * nothing when it has none. The server states both sides with null for "any".
 */
function Permissions({ value }: { value: ApiClient['permissions'] }) {
  const parts = (['read', 'delete'] as const).flatMap((side) => {
    const { types, directions } = accessOf(value, side);
    if (types.length === 0 && directions.length === 0) return [];
    const what = [types.length ? types.map(typeLabel).join(', ') : 'every type'];
    if (directions.length) what.push(directions.join(', '));
    return [`${side}: ${what.join('; ')}`];
  });
  if (parts.length === 0) return null;
  return <p class="muted small">Restricted — {parts.join(' · ')}</p>;
}
