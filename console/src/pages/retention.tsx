import { useEffect, useState } from 'preact/hooks';
import type { RetentionPolicy, RetentionPreview, RetentionRule } from '../api/admin-types.ts';
import { api } from '../api/client.ts';
import { describeError } from '../api/errors.ts';
import { API } from '../api/types.ts';
import { Alert } from '../components/alert.tsx';
import { Confirm } from '../components/confirm.tsx';
import { MissingApi } from '../components/missing-api.tsx';
import { Time } from '../components/time.tsx';
import { TYPE_LABELS, typeLabel } from '../lib/content-kinds.ts';
import { localInputToIso, toLocalInput } from '../lib/format.ts';
import { useApi } from '../lib/use-api.ts';
import { href } from '../router.ts';
import type { PageProps } from './registry.ts';

// The account's retention policy (platform-api §1): the rules in force, the rules waiting out the
// grace period, an editor, the preview of what the rules would delete by a date, and a sweep now.

const PATH = `${API}/retention`;

interface Draft {
  key: number;
  /** The rule's identity, kept across edits (absent: a new rule). */
  id?: string;
  name: string;
  keepDays: string;
  contentTypes: string[];
  direction: '' | 'inbound' | 'outbound';
}

let nextKey = 1;
const toDraft = (r: RetentionRule): Draft => ({
  key: nextKey++,
  id: r.id,
  name: r.name,
  keepDays: String(r.keepDays),
  contentTypes: r.contentTypes ?? [],
  direction: r.direction ?? '',
});
const fromDraft = (d: Draft): RetentionRule => ({
  ...(d.id && { id: d.id }),
  name: d.name.trim(),
  keepDays: Number(d.keepDays),
  ...(d.contentTypes.length > 0 && { contentTypes: d.contentTypes }),
  ...(d.direction && { direction: d.direction }),
});

export default function RetentionPage(_: PageProps) {
  const policy = useApi<RetentionPolicy>(PATH, { what: 'Loading the retention policy' });
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const p = policy.data;

  const sweep = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api(`${PATH}/sweep`, { method: 'POST' });
      setNotice('Sweep started: due items are deleted in the background (ledger reason "retention").');
    } catch (err) {
      setError(describeError(err, 'Starting the sweep'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Retention
      </h1>
      <p class="muted">
        How long each kind of content is kept, counted from the interaction's start. When several rules match
        an item, the longest wins; items no rule matches are kept until someone deletes them. Interactions
        under legal hold are never swept.
      </p>
      {policy.state === 'missing' && <MissingApi path={PATH} />}
      {policy.state === 'error' && <Alert kind="error">{policy.message}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
      {notice && <Alert kind="success">{notice}</Alert>}
      {p && (
        <>
          <dl class="meta">
            <div>
              <dt>Status</dt>
              <dd>
                <span class={`badge badge-${p.status}`}>{p.status}</span>
              </dd>
            </div>
            <div>
              <dt>Last sweep</dt>
              <dd>
                {p.lastSweep ? (
                  <>
                    <Time iso={p.lastSweep.at} />, {p.lastSweep.deleted} deleted
                  </>
                ) : (
                  'never'
                )}
              </dd>
            </div>
          </dl>
          {p.pendingUntil && (
            <Alert kind="warning">
              <strong>Pending:</strong> the changed rules below act from <Time iso={p.pendingUntil} /> (the
              grace period). Until then retention deletes nothing.
            </Alert>
          )}
          {p.status === 'paused' && (
            <Alert kind="info">Paused: retention deletes nothing until it is turned on.</Alert>
          )}
          <h2>{p.pendingRules ? 'Rules in force until the grace period ends' : 'Rules'}</h2>
          <RuleTable rules={p.rules} caption="Rules in force" />
          {p.pendingRules && (
            <>
              <h2>
                Pending rules (from <Time iso={p.pendingUntil ?? ''} />)
              </h2>
              <RuleTable rules={p.pendingRules} caption="Pending rules" />
            </>
          )}
          <div class="actions">
            {!editing && (
              <button type="button" class="primary" onClick={() => setEditing(true)}>
                Edit the policy
              </button>
            )}
            <button type="button" onClick={() => void sweep()} disabled={busy}>
              Sweep now
            </button>
          </div>
          {editing && (
            <Editor
              policy={p}
              onCancel={() => setEditing(false)}
              onSaved={(saved) => {
                setEditing(false);
                setNotice(
                  saved.pendingUntil
                    ? 'Saved. The new rules wait out the grace period before they act.'
                    : 'Saved; the rules act from now.',
                );
                policy.reload();
              }}
            />
          )}
          <Preview policy={p} />
        </>
      )}
    </section>
  );
}

function RuleTable({ rules, caption }: { rules: RetentionRule[]; caption: string }) {
  if (rules.length === 0) return <p class="muted">No rules: nothing is deleted by retention.</p>;
  return (
    <div class="table-wrap">
      <table class="results rules">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Keep</th>
            <th scope="col">Content types</th>
            <th scope="col">Direction</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr key={r.id ?? r.name}>
              <td data-label="Name">{r.name}</td>
              <td data-label="Keep">{r.keepDays} days</td>
              <td data-label="Content types">{r.contentTypes?.map(typeLabel).join(', ') || 'every type'}</td>
              <td data-label="Direction">{r.direction ?? 'both'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Editor(props: { policy: RetentionPolicy; onCancel(): void; onSaved(p: RetentionPolicy): void }) {
  const { policy } = props;
  const [status, setStatus] = useState<'on' | 'paused'>(policy.status === 'paused' ? 'paused' : 'on');
  const [rules, setRules] = useState<Draft[]>(() => (policy.pendingRules ?? policy.rules).map(toDraft));
  const [error, setError] = useState<string>();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const update = (key: number, change: Partial<Draft>) =>
    setRules(rules.map((r) => (r.key === key ? { ...r, ...change } : r)));

  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const { data } = await api<RetentionPolicy>(PATH, {
        method: 'PUT',
        body: { status, rules: rules.map(fromDraft) },
      });
      props.onSaved(data);
    } catch (err) {
      setError(describeError(err, 'Saving the policy'));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <form
      class="panel editor"
      aria-labelledby="editor-title"
      onSubmit={(e) => {
        e.preventDefault();
        setConfirming(true);
      }}
    >
      <h2 id="editor-title">Edit the policy</h2>
      {error && <Alert kind="error">{error}</Alert>}
      <div class="field">
        <label for="r-status">Status</label>
        <select
          id="r-status"
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value as 'on' | 'paused')}
        >
          <option value="on">on</option>
          <option value="paused">paused (deletes nothing)</option>
        </select>
      </div>
      <ol class="rule-list">
        {rules.map((r, i) => (
          <li key={r.key} class="rule-edit">
            <fieldset>
              <legend>Rule {i + 1}</legend>
              <div class="rule-fields">
                <div class="field">
                  <label for={`r-name-${r.key}`}>Name</label>
                  <input
                    id={`r-name-${r.key}`}
                    value={r.name}
                    maxLength={128}
                    required
                    onInput={(e) => update(r.key, { name: e.currentTarget.value })}
                  />
                </div>
                <div class="field">
                  <label for={`r-days-${r.key}`}>Keep (days)</label>
                  <input
                    id={`r-days-${r.key}`}
                    type="number"
                    min={1}
                    max={36500}
                    step={1}
                    required
                    value={r.keepDays}
                    onInput={(e) => update(r.key, { keepDays: e.currentTarget.value })}
                  />
                </div>
                <div class="field">
                  <label for={`r-dir-${r.key}`}>Direction</label>
                  <select
                    id={`r-dir-${r.key}`}
                    value={r.direction}
                    onChange={(e) =>
                      update(r.key, { direction: e.currentTarget.value as Draft['direction'] })
                    }
                  >
                    <option value="">both</option>
                    <option value="inbound">inbound</option>
                    <option value="outbound">outbound</option>
                  </select>
                </div>
              </div>
              <details>
                <summary>
                  Content types:{' '}
                  {r.contentTypes.length ? r.contentTypes.map(typeLabel).join(', ') : 'every type'}
                </summary>
                <div class="checks grid">
                  {Object.keys(TYPE_LABELS).map((t) => (
                    <label key={t} class="check">
                      <input
                        type="checkbox"
                        checked={r.contentTypes.includes(t)}
                        onChange={() =>
                          update(r.key, {
                            contentTypes: r.contentTypes.includes(t)
                              ? r.contentTypes.filter((x) => x !== t)
                              : [...r.contentTypes, t],
                          })
                        }
                      />
                      {typeLabel(t)}
                    </label>
                  ))}
                </div>
              </details>
              <button
                type="button"
                class="link"
                onClick={() => setRules(rules.filter((x) => x.key !== r.key))}
                aria-label={`Remove rule ${i + 1}${r.name ? ` (${r.name})` : ''}`}
              >
                Remove
              </button>
            </fieldset>
          </li>
        ))}
      </ol>
      <div class="actions">
        <button
          type="button"
          onClick={() =>
            setRules([
              ...rules,
              { key: nextKey++, name: '', keepDays: '90', contentTypes: [], direction: '' },
            ])
          }
          disabled={rules.length >= 100}
        >
          Add a rule
        </button>
        <button type="submit" class="primary" disabled={busy}>
          Save the policy
        </button>
        <button type="button" onClick={props.onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
      {confirming && (
        <Confirm
          title="Save the retention policy?"
          confirmLabel="Save"
          busy={busy}
          onCancel={() => setConfirming(false)}
          onConfirm={() => void save()}
        >
          <p>
            {status === 'paused'
              ? 'Retention is paused at once: nothing is deleted by it until it is turned on again.'
              : `${rules.length} rule${rules.length === 1 ? '' : 's'}. A change to the rules, or turning retention on, waits out the server's grace period before anything is deleted by it.`}
          </p>
          <p>Use the preview below to see what the rules would delete.</p>
        </Confirm>
      )}
    </form>
  );
}

function Preview({ policy }: { policy: RetentionPolicy }) {
  const [at, setAt] = useState(() => toLocalInput(new Date()));
  const [result, setResult] = useState<RetentionPreview>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const names = new Map(
    [...policy.rules, ...(policy.pendingRules ?? [])].flatMap((r) => (r.id ? [[r.id, r.name] as const] : [])),
  );
  /** `iso`: an exact instant (the end of the grace period); otherwise the form's minute. */
  const run = async (iso?: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const { data } = await api<RetentionPreview>(`${PATH}/preview`, {
        query: { at: iso ?? localInputToIso(at) },
      });
      setResult(data);
    } catch (err) {
      setError(describeError(err, 'The preview'));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    setResult(undefined);
  }, [policy]);
  const pick = (iso: string) => {
    setAt(toLocalInput(new Date(iso)));
    void run(iso);
  };
  return (
    <section class="panel preview" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <p class="muted small">
        What the rules in force at a date would have deleted by then (legal holds respected). Nothing is
        deleted.
      </p>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <div class="field">
          <label for="preview-at">At</label>
          <input
            id="preview-at"
            type="datetime-local"
            value={at}
            onInput={(e) => setAt(e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          Preview
        </button>
        {policy.pendingUntil && (
          <button
            type="button"
            onClick={() => policy.pendingUntil && pick(policy.pendingUntil)}
            disabled={busy}
          >
            At the end of the grace period
          </button>
        )}
      </form>
      {error && <Alert kind="error">{error}</Alert>}
      {result && (
        <div aria-live="polite">
          <p role="status">
            <strong>
              {result.total} item{result.total === 1 ? '' : 's'}
            </strong>{' '}
            would be deleted by <Time iso={result.at} />.
          </p>
          {result.total > 0 && (
            <>
              <ul class="chips">
                {Object.entries(result.byType).map(([t, n]) => (
                  <li key={t}>
                    {typeLabel(t)}: {n}
                  </li>
                ))}
                {result.byRule.map((r) => (
                  <li key={r.ruleId}>
                    rule {names.get(r.ruleId) ?? r.ruleId}: {r.count}
                  </li>
                ))}
              </ul>
              <div class="table-wrap">
                <table class="results sample">
                  <caption class="visually-hidden">The first items the rules would delete</caption>
                  <thead>
                    <tr>
                      <th scope="col">Delete after</th>
                      <th scope="col">Interaction</th>
                      <th scope="col">Content</th>
                      <th scope="col">Rule</th>
                    </tr>
                  </thead>
                  <tbody>
                    {result.sample.map((s) => (
                      <tr key={`${s.guid}/${s.contentKey}`}>
                        <td data-label="Delete after">
                          <Time iso={s.deleteAfter} />
                        </td>
                        <td data-label="Interaction">
                          <a href={href(`/interactions/${s.guid}`)} class="mono">
                            {s.guid.slice(0, 8)}…
                          </a>
                        </td>
                        <td data-label="Content">
                          {typeLabel(s.type)} <code>{s.contentKey}</code>
                        </td>
                        <td data-label="Rule">{names.get(s.ruleId) ?? s.ruleId}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {result.sample.length < result.total && (
                <p class="muted small">The first {result.sample.length} by their delete-after time.</p>
              )}
            </>
          )}
        </div>
      )}
    </section>
  );
}
