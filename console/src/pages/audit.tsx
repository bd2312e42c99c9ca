import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { describeError, isAbort } from '../api/errors.ts';
import { API } from '../api/types.ts';
import { Alert } from '../components/alert.tsx';
import { Time } from '../components/time.tsx';
import { useSession } from '../context.ts';
import { type AuditEntry, type ChainResult, hashEntry, verifyChain } from '../lib/audit.ts';
import { formatBytes, localInputToIso } from '../lib/format.ts';
import { href, navigate } from '../router.ts';
import type { PageProps } from './registry.ts';

// The ledger browser. Each entry shown is re-hashed here (WebCrypto, the server's canonical form:
// lib/audit.ts); "Verify the whole chain" walks every entry from seq 1 and checks the links too.

interface Page {
  items: AuditEntry[];
  meta: { nextContinuationToken: string | null };
}

const ACTIONS = [
  'content.delete',
  'interaction.delete',
  'content.replace',
  'legal_hold.place',
  'legal_hold.update',
  'legal_hold.release',
];

type Verify =
  | { state: 'idle' }
  | { state: 'running'; checked: number }
  | { state: 'done'; result: ChainResult }
  | { state: 'failed'; message: string };

export default function AuditPage({ route }: PageProps) {
  const session = useSession();
  const q = route.query;
  const [filters, setFilters] = useState({
    guid: q.get('guid') ?? '',
    action: q.get('action') ?? '',
    start: q.get('start') ?? '',
    end: q.get('end') ?? '',
  });
  const [page, setPage] = useState<Page>();
  const [trail, setTrail] = useState<string[]>(['']);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [hashes, setHashes] = useState<Map<number, boolean>>(new Map());
  const [verify, setVerify] = useState<Verify>({ state: 'idle' });
  const verifyAbort = useRef<AbortController>();
  const queryKey = q.toString();

  const load = async (token: string, nextTrail: string[]) => {
    setBusy(true);
    setError(undefined);
    try {
      const { data } = await api<Page>(`${API}/audit`, {
        query: {
          guid: q.get('guid') || undefined,
          action: q.get('action') || undefined,
          start: localInputToIso(q.get('start') ?? ''),
          end: localInputToIso(q.get('end') ?? ''),
          limit: 50,
          continuationToken: token || undefined,
        },
      });
      setPage(data);
      setTrail(nextTrail);
      const checked = new Map<number, boolean>();
      for (const e of data.items) checked.set(e.seq, (await hashEntry(session.account, e)) === e.hash);
      setHashes(checked);
    } catch (err) {
      if (!isAbort(err)) setError(describeError(err, 'Loading the ledger'));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void load('', ['']);
  }, [queryKey]);
  useEffect(() => () => verifyAbort.current?.abort(), []);

  const runVerify = async () => {
    verifyAbort.current?.abort();
    const controller = new AbortController();
    verifyAbort.current = controller;
    setVerify({ state: 'running', checked: 0 });
    try {
      const result = await verifyChain({
        account: session.account,
        signal: controller.signal,
        fetchPage: async (token) => {
          const { data } = await api<Page>(`${API}/audit`, {
            query: { limit: 1000, continuationToken: token ?? undefined },
            signal: controller.signal,
          });
          return { items: data.items, next: data.meta.nextContinuationToken };
        },
        onProgress: (checked) => setVerify({ state: 'running', checked }),
      });
      setVerify({ state: 'done', result });
    } catch (err) {
      if (isAbort(err)) setVerify({ state: 'idle' });
      else setVerify({ state: 'failed', message: describeError(err, 'The verification') });
    }
  };

  const submit = (e: Event) => {
    e.preventDefault();
    navigate('/audit', filters);
  };
  const set = (name: keyof typeof filters) => (e: Event) =>
    setFilters({ ...filters, [name]: (e.currentTarget as HTMLInputElement).value });
  const position = trail.length - 1;
  const next = page?.meta.nextContinuationToken;
  const brokenAt = verify.state === 'done' && !verify.result.ok ? verify.result.seq : undefined;

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Audit ledger
      </h1>
      <p class="muted">
        Every deletion, replacement and legal hold of account <strong>{session.account || '—'}</strong>,
        hash-chained: each entry's hash covers the one before it, so an edited, removed or reordered entry
        breaks the chain.
      </p>
      <div class="panel verify" aria-live="polite">
        {verify.state === 'idle' && <p>The chain has not been verified in this session.</p>}
        {verify.state === 'running' && (
          <p>
            Verifying… {verify.checked} entries checked. <progress aria-label="Verification progress" />
          </p>
        )}
        {verify.state === 'done' && verify.result.ok && (
          <p class="verified" role="status">
            <strong>Chain verified:</strong> {verify.result.entries} entries from #1
            {verify.result.head && (
              <>
                {' '}
                to #{verify.result.head.seq}, newest hash <code>{verify.result.head.hash.slice(0, 16)}…</code>
              </>
            )}
            . Compare the newest hash with a receipt you hold to rule out removed newest entries.
          </p>
        )}
        {verify.state === 'done' && !verify.result.ok && (
          <Alert kind="error">
            <strong>Chain broken at entry #{verify.result.seq}:</strong> {verify.result.problem} (
            {verify.result.entries} entries before it verified).
          </Alert>
        )}
        {verify.state === 'failed' && <Alert kind="error">{verify.message}</Alert>}
        <div class="actions">
          <button
            type="button"
            class="primary"
            onClick={() => void runVerify()}
            disabled={verify.state === 'running' || !session.account}
          >
            Verify the whole chain
          </button>
          {verify.state === 'running' && (
            <button type="button" onClick={() => verifyAbort.current?.abort()}>
              Stop
            </button>
          )}
        </div>
      </div>
      <form class="search-form" onSubmit={submit}>
        <div class="field">
          <label for="a-guid">Interaction GUID</label>
          <input id="a-guid" value={filters.guid} onInput={set('guid')} maxLength={36} autoComplete="off" />
        </div>
        <div class="field">
          <label for="a-action">Action</label>
          <select id="a-action" value={filters.action} onChange={set('action')}>
            <option value="">Any</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="a-start">From</label>
          <input id="a-start" type="datetime-local" value={filters.start} onInput={set('start')} />
        </div>
        <div class="field">
          <label for="a-end">To</label>
          <input id="a-end" type="datetime-local" value={filters.end} onInput={set('end')} />
        </div>
        <div class="field submit">
          <button type="submit" class="primary" disabled={busy}>
            Filter
          </button>
        </div>
      </form>
      {error && <Alert kind="error">{error}</Alert>}
      {page && (
        <>
          <p class="result-count" role="status">
            {page.items.length === 0
              ? 'No ledger entries match.'
              : `Page ${position + 1}: ${page.items.length} entries.`}
          </p>
          {page.items.length > 0 && (
            <div class="table-wrap">
              <table class="results audit">
                <caption class="visually-hidden">Ledger entries</caption>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Time</th>
                    <th scope="col">Action</th>
                    <th scope="col">Interaction</th>
                    <th scope="col">Content</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Hash</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((e) => {
                    const ok = hashes.get(e.seq);
                    const state =
                      brokenAt !== undefined && e.seq >= brokenAt
                        ? 'after the break'
                        : ok === false
                          ? 'does not match'
                          : verify.state === 'done' && verify.result.ok
                            ? 'verified in the chain'
                            : ok
                              ? 'matches the entry'
                              : 'checking';
                    return (
                      <tr key={e.seq}>
                        <td data-label="#">{e.seq}</td>
                        <td data-label="Time">
                          <Time iso={e.at} />
                        </td>
                        <td data-label="Action">{e.action}</td>
                        <td data-label="Interaction">
                          <a href={href(`/interactions/${e.guid}`)} class="mono">
                            {e.guid.slice(0, 8)}…
                          </a>{' '}
                          <a
                            href={href('/audit', { guid: e.guid })}
                            class="small"
                            aria-label={`filter the ledger by ${e.guid}`}
                          >
                            filter
                          </a>
                        </td>
                        <td data-label="Content">
                          {e.contentKey ? (
                            <>
                              {e.type} <code>{e.contentKey}</code>
                              {e.contentLength !== null && <> · {formatBytes(e.contentLength)}</>}
                            </>
                          ) : (
                            '—'
                          )}
                        </td>
                        <td data-label="Actor">{e.actor.clientId ?? e.actor.subject ?? '—'}</td>
                        <td data-label="Reason">{e.reason}</td>
                        <td data-label="Hash">
                          <span
                            class={`hash-state ${ok === false || state === 'after the break' ? 'bad' : 'good'}`}
                          >
                            <code title={e.hash}>{e.hash.slice(0, 10)}…</code> <span>{state}</span>
                          </span>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          <nav class="pager" aria-label="Ledger pages">
            <button
              type="button"
              disabled={busy || position === 0}
              onClick={() => void load(trail[position - 1] ?? '', trail.slice(0, -1))}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={busy || !next}
              onClick={() => next && void load(next, [...trail, next])}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
