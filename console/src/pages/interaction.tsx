import { useEffect, useRef, useState } from 'preact/hooks';
import type { RetentionRule } from '../api/admin-types.ts';
import { api } from '../api/client.ts';
import { ApiError, describeError, isAbort, isMissingRoute } from '../api/errors.ts';
import { API, type ContentItem, contentPath, type Interaction, type LegalHold } from '../api/types.ts';
import { hasScope } from '../auth/session.ts';
import { Alert } from '../components/alert.tsx';
import { Confirm } from '../components/confirm.tsx';
import { KindIcon } from '../components/icons.tsx';
import { Time } from '../components/time.tsx';
import { Viewer } from '../components/viewer.tsx';
import { kindOf, typeLabel } from '../lib/content-kinds.ts';
import { formatBytes } from '../lib/format.ts';
import { download } from '../lib/media.ts';
import { parseReceipt, type ReceiptEntry } from '../lib/receipt.ts';
import { useAction } from '../lib/use-action.ts';
import { href, navigate } from '../router.ts';
import type { PageProps } from './registry.ts';

const ADMIN = 'interaction-content:admin';
const DELETE = 'interaction-content:delete';

/** GET …/interactions/{guid}/retention (platform-api §1), where the server has it. */
type Retention =
  | { state: 'unknown' }
  | { state: 'unavailable' }
  | {
      state: 'ok';
      byKey: Map<string, { deleteAfter: string | null; ruleId: string | null }>;
      held: boolean;
      /** Rule names from the account's policy (admin scope); ids otherwise. */
      ruleNames: Map<string, string>;
    };

interface RetentionAnswer {
  legalHold: unknown;
  content: { contentKey: string; deleteAfter: string | null; ruleId: string | null }[];
}

interface Receipt {
  what: string;
  entries: ReceiptEntry[];
}

type Pending =
  | { kind: 'content'; item: ContentItem; cascade: ContentItem[] }
  | { kind: 'interaction' }
  | { kind: 'release' };

export default function InteractionPage({ params }: PageProps) {
  const guid = params.guid;
  const [interaction, setInteraction] = useState<Interaction>();
  const [gone, setGone] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [receipt, setReceipt] = useState<Receipt>();
  const [pending, setPending] = useState<Pending>();
  const action = useAction(() => setPending(undefined));
  const { busy, error: actionError, setError: setActionError } = action;
  const [retention, setRetention] = useState<Retention>({ state: 'unknown' });
  const [version, setVersion] = useState(0);
  const admin = hasScope(ADMIN);
  const canDelete = hasScope(DELETE);
  const receiptRef = useRef<HTMLElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setError(undefined);
    const path = `${API}/interactions/${encodeURIComponent(guid)}`;
    Promise.all([
      api<Interaction>(path, { signal: abort.signal }),
      // The hold (admin scope): GET …/legal-hold answers 404 legal_hold_not_found when there is none.
      admin
        ? api<LegalHold>(`${path}/legal-hold`, { signal: abort.signal }).then(
            ({ data }) => data,
            (err) => {
              if (err instanceof ApiError && err.status === 404) return null;
              throw err;
            },
          )
        : undefined,
    ]).then(
      ([{ data }, legalHold]) => {
        setInteraction({ ...data, legalHold });
        setGone(false);
      },
      (err) => {
        if (isAbort(err)) return;
        if (err instanceof ApiError && err.status === 404) {
          setGone(true);
          setInteraction(undefined);
        } else setError(describeError(err, 'Loading the interaction'));
      },
    );
    Promise.all([
      api<RetentionAnswer>(`${API}/interactions/${encodeURIComponent(guid)}/retention`, {
        signal: abort.signal,
      }),
      // The rules' names, for "kept until … (rule Recordings 90 days)": the policy needs admin.
      admin
        ? api<{ rules: RetentionRule[]; pendingRules: RetentionRule[] | null }>(`${API}/retention`, {
            signal: abort.signal,
          }).catch(() => undefined)
        : undefined,
    ]).then(
      ([{ data }, policy]) =>
        setRetention({
          state: 'ok',
          byKey: new Map(data.content.map((c) => [c.contentKey, c])),
          held: Boolean(data.legalHold),
          ruleNames: new Map(
            [...(policy?.data.rules ?? []), ...(policy?.data.pendingRules ?? [])].map((r) => [
              r.id ?? '',
              r.name,
            ]),
          ),
        }),
      (err) => {
        if (isMissingRoute(err)) setRetention({ state: 'unavailable' });
      },
    );
    return () => abort.abort();
  }, [guid, version]);

  useEffect(() => {
    if (receipt) receiptRef.current?.focus();
  }, [receipt]);

  const reload = () => setVersion((v) => v + 1);

  const act = (fn: () => Promise<void>, what: string) => {
    setNotice(undefined);
    return action.run(fn, what);
  };

  const deleteContent = (item: ContentItem, cascade: ContentItem[]) =>
    act(async () => {
      const res = await api(`${contentPath(guid, item.contentKey)}`, { method: 'DELETE' });
      const names = [item, ...cascade].map((c) => `${typeLabel(c.type)} (${c.contentKey})`).join(', ');
      setReceipt({ what: names, entries: parseReceipt(res.headers.get('x-deletion-receipt')) });
      reload();
    }, 'The deletion');

  const deleteInteraction = () =>
    act(async () => {
      const res = await api(`${API}/interactions/${encodeURIComponent(guid)}`, { method: 'DELETE' });
      setReceipt({
        what: `the interaction ${guid} and all its content`,
        entries: parseReceipt(res.headers.get('x-deletion-receipt')),
      });
      reload();
    }, 'The deletion');

  const placeHold = (reason: string, caseId: string) =>
    act(async () => {
      await api(`${API}/interactions/${encodeURIComponent(guid)}/legal-hold`, {
        method: 'PUT',
        body: { reason, ...(caseId && { caseId }) },
      });
      setNotice('Legal hold placed: every deletion of this interaction is now refused.');
      reload();
    }, 'Placing the hold');

  const releaseHold = () =>
    act(async () => {
      await api(`${API}/interactions/${encodeURIComponent(guid)}/legal-hold`, { method: 'DELETE' });
      setNotice('Legal hold released.');
      reload();
    }, 'Releasing the hold');

  const i = interaction;
  return (
    <section aria-labelledby="page-title">
      <p class="crumbs">
        <button
          type="button"
          class="link"
          onClick={() => (history.length > 1 ? history.back() : navigate('/search'))}
        >
          ← Back
        </button>
      </p>
      <h1 id="page-title" tabIndex={-1}>
        Interaction
      </h1>
      <p class="guid">{guid}</p>
      {receipt && (
        <section class="receipt" tabIndex={-1} ref={receiptRef} aria-labelledby="receipt-title">
          <h2 id="receipt-title">Deleted</h2>
          <p>Deleted {receipt.what}. The bytes are erased from storage; the audit ledger records it:</p>
          <ul class="receipt-entries" aria-label="Deletion receipt">
            {receipt.entries.map((e) => (
              <li key={e.seq}>
                <span class="label">Ledger entry</span> <strong>#{e.seq}</strong>{' '}
                <code title={`${e.account}:${e.seq}:${e.hash}`}>{e.hash}</code>
              </li>
            ))}
          </ul>
          {admin && <a href={href('/audit', { guid })}>See these entries in the audit ledger</a>}
        </section>
      )}
      {error && <Alert kind="error">{error}</Alert>}
      {actionError && <Alert kind="error">{actionError}</Alert>}
      {notice && <Alert kind="success">{notice}</Alert>}
      {gone && (
        <Alert kind="info">
          Not found: this interaction has no content left, was deleted, or is not in your account.
        </Alert>
      )}
      {i && (
        <>
          <dl class="meta">
            <div>
              <dt>Start</dt>
              <dd>
                <Time iso={i.start} />
              </dd>
            </div>
            <div>
              <dt>Direction</dt>
              <dd>{i.direction}</dd>
            </div>
            <div>
              <dt>From</dt>
              <dd>{i.connectFrom}</dd>
            </div>
            <div>
              <dt>To</dt>
              <dd>{i.connectTo}</dd>
            </div>
            <div>
              <dt>Agents</dt>
              <dd>{i.handlingAgents.map((a) => a.id).join(', ') || '—'}</dd>
            </div>
            <div>
              <dt>Legal hold</dt>
              <dd>
                {!admin ? (
                  retention.state === 'ok' ? (
                    retention.held ? (
                      <span class="badge badge-hold">Held</span>
                    ) : (
                      'None'
                    )
                  ) : (
                    <span class="muted">not visible with this sign-in (needs {ADMIN})</span>
                  )
                ) : i.legalHold ? (
                  <span class="badge badge-hold">Held</span>
                ) : (
                  'None'
                )}
              </dd>
            </div>
          </dl>
          {admin && (
            <HoldPanel
              hold={i.legalHold ?? null}
              busy={busy}
              onPlace={placeHold}
              onRelease={() => setPending({ kind: 'release' })}
            />
          )}
          <h2>Content ({i.content.length})</h2>
          {retention.state === 'unavailable' && (
            <p class="muted small">
              Retention per item (deleteAfter, governing rule): not available on this server.
            </p>
          )}
          <ul class="content-list">
            {i.content.map((c) => (
              <ContentCard
                key={c.contentKey}
                guid={guid}
                item={c}
                retention={retention}
                canDelete={canDelete}
                onDelete={() =>
                  setPending({
                    kind: 'content',
                    item: c,
                    // Deleting the call recording takes the screen recordings with it (VCC does so).
                    cascade:
                      c.type === 'callRecording' ? i.content.filter((x) => x.type === 'screenRecording') : [],
                  })
                }
                onError={setActionError}
              />
            ))}
          </ul>
          {canDelete && (
            <div class="danger-zone">
              <button type="button" class="danger" onClick={() => setPending({ kind: 'interaction' })}>
                Delete the whole interaction…
              </button>
            </div>
          )}
        </>
      )}
      {pending?.kind === 'content' && (
        <Confirm
          title="Delete this content?"
          confirmLabel="Delete"
          danger
          busy={busy}
          onCancel={() => setPending(undefined)}
          onConfirm={() => void deleteContent(pending.item, pending.cascade)}
        >
          <p>This erases, from interaction {guid}:</p>
          <ul>
            {[pending.item, ...pending.cascade].map((c) => (
              <li key={c.contentKey}>
                <strong>{typeLabel(c.type)}</strong> <code>{c.contentKey}</code> ({c.contentType},{' '}
                {formatBytes(c.contentLength)})
              </li>
            ))}
          </ul>
          {pending.cascade.length > 0 && (
            <p>Deleting the call recording also deletes the screen recordings.</p>
          )}
          <p>It cannot be undone. The deletion is recorded in the audit ledger.</p>
        </Confirm>
      )}
      {pending?.kind === 'interaction' && i && (
        <Confirm
          title="Delete the whole interaction?"
          confirmLabel="Delete interaction"
          danger
          busy={busy}
          onCancel={() => setPending(undefined)}
          onConfirm={() => void deleteInteraction()}
        >
          <p>
            This erases interaction {guid} ({i.connectFrom} → {i.connectTo}), its metadata and all{' '}
            {i.content.length} content items:
          </p>
          <ul>
            {i.content.map((c) => (
              <li key={c.contentKey}>
                <strong>{typeLabel(c.type)}</strong> <code>{c.contentKey}</code> (
                {formatBytes(c.contentLength)})
              </li>
            ))}
          </ul>
          <p>It cannot be undone. The deletion is recorded in the audit ledger.</p>
        </Confirm>
      )}
      {pending?.kind === 'release' && (
        <Confirm
          title="Release the legal hold?"
          confirmLabel="Release hold"
          busy={busy}
          onCancel={() => setPending(undefined)}
          onConfirm={() => void releaseHold()}
        >
          <p>Once released, this interaction can be deleted again by anyone with the delete scope.</p>
        </Confirm>
      )}
    </section>
  );
}

function HoldPanel(props: {
  hold: Interaction['legalHold'];
  busy: boolean;
  onPlace(reason: string, caseId: string): void;
  onRelease(): void;
}) {
  const [reason, setReason] = useState('');
  const [caseId, setCaseId] = useState('');
  const { hold } = props;
  if (hold)
    return (
      <section class="panel hold" aria-labelledby="hold-title">
        <h2 id="hold-title">Under legal hold</h2>
        <p>
          {hold.reason}
          {hold.caseId && <> — case {hold.caseId}</>}
        </p>
        <p class="muted small">
          Placed <Time iso={hold.placedAt} /> by {hold.placedBy}. Every deletion path refuses this
          interaction.
        </p>
        <button type="button" onClick={props.onRelease} disabled={props.busy}>
          Release the hold…
        </button>
      </section>
    );
  return (
    <details class="panel">
      <summary>Place a legal hold</summary>
      <form
        class="hold-form"
        onSubmit={(e) => {
          e.preventDefault();
          props.onPlace(reason.trim(), caseId.trim());
        }}
      >
        <div class="field">
          <label for="hold-reason">Reason</label>
          <input
            id="hold-reason"
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
            required
            maxLength={500}
          />
        </div>
        <div class="field">
          <label for="hold-case">Case id (optional)</label>
          <input
            id="hold-case"
            value={caseId}
            onInput={(e) => setCaseId(e.currentTarget.value)}
            maxLength={100}
          />
        </div>
        <button type="submit" class="primary" disabled={props.busy || reason.trim() === ''}>
          Place hold
        </button>
      </form>
    </details>
  );
}

function ContentCard(props: {
  guid: string;
  item: ContentItem;
  retention: Retention;
  canDelete: boolean;
  onDelete(): void;
  onError(message: string): void;
}) {
  const { item, guid } = props;
  const [saving, setSaving] = useState(false);
  const label = typeLabel(item.type);
  const kept = props.retention.state === 'ok' ? props.retention.byKey.get(item.contentKey) : undefined;
  const save = async () => {
    setSaving(true);
    try {
      const ext = item.contentType.split('/')[1]?.split(/[;+]/)[0] ?? 'bin';
      await download(contentPath(guid, item.contentKey), `${guid}-${item.contentKey}.${ext}`);
    } catch (err) {
      props.onError(describeError(err, 'The download'));
    } finally {
      setSaving(false);
    }
  };
  return (
    <li class="content-card">
      <div class="content-head">
        <KindIcon kind={kindOf(item)} />
        <h3 id={`c-${item.contentKey}`}>
          {label} <code class="key">{item.contentKey}</code>
        </h3>
        <div class="content-actions">
          <button
            type="button"
            onClick={() => void save()}
            disabled={saving}
            aria-label={`Download ${label} ${item.contentKey}`}
          >
            {saving ? 'Downloading…' : 'Download'}
          </button>
          {props.canDelete && (
            <button
              type="button"
              class="danger"
              onClick={props.onDelete}
              aria-label={`Delete ${label} ${item.contentKey}`}
            >
              Delete…
            </button>
          )}
        </div>
      </div>
      <p class="muted small">
        {item.contentType} · {formatBytes(item.contentLength)} · stored <Time iso={item.lastModified} />
        {item.owningAgent && <> · for agent {item.owningAgent.id}</>}
        {kept && props.retention.state === 'ok' && (
          <>
            {' '}
            · <RetentionText kept={kept} held={props.retention.held} names={props.retention.ruleNames} />
          </>
        )}
      </p>
      <Viewer guid={guid} item={item} />
    </li>
  );
}

/** Why an item is still here: the rule that governs it and until when, or that a hold keeps it. */
function RetentionText(props: {
  kept: { deleteAfter: string | null; ruleId: string | null };
  held: boolean;
  names: Map<string, string>;
}) {
  const { deleteAfter, ruleId } = props.kept;
  const rule = ruleId ? <> (rule {props.names.get(ruleId) ?? ruleId})</> : null;
  if (!deleteAfter) return <span class="retention">kept until deleted: no retention rule matches</span>;
  const due = Date.parse(deleteAfter) <= Date.now();
  return (
    <span class="retention">
      {due && props.held ? (
        <>
          due since <Time iso={deleteAfter} />, kept while the legal hold lasts
        </>
      ) : due ? (
        <>
          due since <Time iso={deleteAfter} />: a retention sweep deletes it
        </>
      ) : (
        <>
          kept until <Time iso={deleteAfter} />
        </>
      )}
      {rule}
    </span>
  );
}
