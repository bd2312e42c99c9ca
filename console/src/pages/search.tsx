import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { describeError, isAbort } from '../api/errors.ts';
import { API, type Interaction, type SearchPage } from '../api/types.ts';
import { Alert } from '../components/alert.tsx';
import { ContentIcons } from '../components/icons.tsx';
import { Time } from '../components/time.tsx';
import { useConfig } from '../context.ts';
import {
  formatDuration,
  localInputToIso,
  statedDuration,
  toLocalInput,
  windowProblem,
} from '../lib/format.ts';
import { href, navigate } from '../router.ts';
import type { PageProps } from './registry.ts';

// The search form lives in the URL (#/search?start=…&end=…), so Back returns to the same results
// and a search can be shared. Paging follows the API's continuation tokens; the tokens of the pages
// before are kept for "Previous".

const FIELDS = ['start', 'end', 'agent', 'from', 'to', 'direction', 'limit'] as const;
type Form = Record<(typeof FIELDS)[number], string>;

function defaults(maxDays: number): Form {
  const end = new Date(Date.now() + 60_000);
  const days = maxDays > 0 ? Math.min(maxDays, 7) : 7;
  const start = new Date(end.getTime() - days * 86_400_000);
  return {
    start: toLocalInput(start),
    end: toLocalInput(end),
    agent: '',
    from: '',
    to: '',
    direction: '',
    limit: '50',
  };
}

function duration(i: Interaction): string {
  for (const c of i.content) {
    const d = statedDuration(c.properties);
    if (d !== undefined) return formatDuration(d);
  }
  return '—';
}

export default function Search({ route }: PageProps) {
  const config = useConfig();
  const fromUrl = FIELDS.some((f) => route.query.has(f));
  const initial: Form = fromUrl
    ? (Object.fromEntries(FIELDS.map((f) => [f, route.query.get(f) ?? ''])) as Form)
    : defaults(config.searchWindowDays);
  if (!initial.limit) initial.limit = '50';
  const [form, setForm] = useState<Form>(initial);
  const [results, setResults] = useState<SearchPage>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // The token that fetched each page visited so far ('' = the first page); the last is the current one.
  const [trail, setTrail] = useState<string[]>(['']);
  const abort = useRef<AbortController>();
  const heading = useRef<HTMLHeadingElement>(null);

  const run = async (f: Form, token: string, nextTrail: string[]) => {
    const start = localInputToIso(f.start);
    const end = localInputToIso(f.end);
    const problem = windowProblem(start, end, config.searchWindowDays);
    if (problem) {
      setError(problem);
      return;
    }
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setBusy(true);
    setError(undefined);
    try {
      const { data } = await api<SearchPage>(`${API}/interactions`, {
        query: {
          start,
          end,
          handlingAgentId: f.agent.trim() || undefined,
          connectFrom: f.from.trim() || undefined,
          connectTo: f.to.trim() || undefined,
          direction: f.direction || undefined,
          limit: f.limit,
          continuationToken: token || undefined,
        },
        signal: controller.signal,
      });
      setResults(data);
      setTrail(nextTrail);
    } catch (err) {
      if (!isAbort(err)) setError(describeError(err, 'The search'));
    } finally {
      if (abort.current === controller) setBusy(false);
    }
  };

  // Runs the search the URL describes (on load, and when Back/Forward change it).
  const queryKey = route.query.toString();
  useEffect(() => {
    if (fromUrl) {
      setForm(initial);
      void run(initial, '', ['']);
    }
    return () => abort.current?.abort();
  }, [queryKey]);

  const submit = (e: Event) => {
    e.preventDefault();
    const wanted = new URLSearchParams(Object.entries(form).filter(([, v]) => v !== '')).toString();
    // A new query goes through the URL (the effect runs it); the same query again runs at once.
    if (wanted === queryKey) void run(form, '', ['']);
    else navigate('/search', form);
  };
  const set = (name: keyof Form) => (e: Event) =>
    setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value });
  const next = results?.meta.nextContinuationToken;
  const position = trail.length - 1;

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1} ref={heading}>
        Find interactions
      </h1>
      <form class="search-form" onSubmit={submit} aria-describedby="search-help">
        <div class="field">
          <label for="s-start">From</label>
          <input id="s-start" type="datetime-local" value={form.start} onInput={set('start')} required />
        </div>
        <div class="field">
          <label for="s-end">To</label>
          <input id="s-end" type="datetime-local" value={form.end} onInput={set('end')} required />
        </div>
        <div class="field">
          <label for="s-agent">Agent id</label>
          <input id="s-agent" value={form.agent} onInput={set('agent')} maxLength={100} autoComplete="off" />
        </div>
        <div class="field">
          <label for="s-from">From address starts with</label>
          <input
            id="s-from"
            value={form.from}
            onInput={set('from')}
            maxLength={50}
            autoComplete="off"
            placeholder="+4420…"
          />
        </div>
        <div class="field">
          <label for="s-to">To address starts with</label>
          <input id="s-to" value={form.to} onInput={set('to')} maxLength={50} autoComplete="off" />
        </div>
        <div class="field">
          <label for="s-direction">Direction</label>
          <select id="s-direction" value={form.direction} onChange={set('direction')}>
            <option value="">Any</option>
            <option value="inbound">Inbound</option>
            <option value="outbound">Outbound</option>
          </select>
        </div>
        <div class="field">
          <label for="s-limit">Per page</label>
          <select id="s-limit" value={form.limit} onChange={set('limit')}>
            {['25', '50', '100', '250'].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <div class="field submit">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Searching…' : 'Search'}
          </button>
        </div>
      </form>
      <p id="search-help" class="muted small">
        Times are in your browser's time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone}).
        {config.searchWindowDays > 0 && ` At most ${config.searchWindowDays} days per search.`}
      </p>
      {error && <Alert kind="error">{error}</Alert>}
      {results && (
        <>
          <p class="result-count" role="status">
            {results.items.length === 0
              ? 'No interactions with content in this window.'
              : `Page ${position + 1}: ${results.items.length} interaction${results.items.length === 1 ? '' : 's'}${next ? ', more on the next page' : ''}.`}
          </p>
          {results.items.length > 0 && (
            <div class="table-wrap">
              <table class="results">
                <caption class="visually-hidden">Interactions found</caption>
                <thead>
                  <tr>
                    <th scope="col">Start</th>
                    <th scope="col">From</th>
                    <th scope="col">To</th>
                    <th scope="col">Direction</th>
                    <th scope="col">Agents</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Content</th>
                  </tr>
                </thead>
                <tbody>
                  {results.items.map((i) => (
                    <tr key={i.guid}>
                      <td data-label="Start">
                        <a href={href(`/interactions/${i.guid}`)}>
                          <Time iso={i.start} />
                        </a>
                      </td>
                      <td data-label="From">{i.connectFrom}</td>
                      <td data-label="To">{i.connectTo}</td>
                      <td data-label="Direction">{i.direction}</td>
                      <td data-label="Agents">{i.handlingAgents.map((a) => a.id).join(', ') || '—'}</td>
                      <td data-label="Duration">{duration(i)}</td>
                      <td data-label="Content">
                        <ContentIcons content={i.content} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <nav class="pager" aria-label="Result pages">
            <button
              type="button"
              disabled={busy || position === 0}
              onClick={() => void run(form, trail[position - 1] ?? '', trail.slice(0, -1))}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={busy || !next}
              onClick={() => next && void run(form, next, [...trail, next])}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
