import { useEffect, useState } from 'preact/hooks';
import { ACTIVE_JOB, type DeletionJob, type JobItem } from '../api/admin-types.ts';
import { api } from '../api/client.ts';
import { ApiError, describeError, isAbort } from '../api/errors.ts';
import { API } from '../api/types.ts';
import { Alert } from '../components/alert.tsx';
import { Confirm } from '../components/confirm.tsx';
import { Time } from '../components/time.tsx';
import { typeLabel } from '../lib/content-kinds.ts';
import { parseReceipt } from '../lib/receipt.ts';
import { useApi } from '../lib/use-api.ts';
import { href, navigate } from '../router.ts';
import { CertificatePanel } from './deletion-certificate.tsx';
import type { PageProps } from './registry.ts';

// One deletion job: its match, live progress (polled while it runs), per-item outcomes with
// receipts, cancel, "run it for real" after a dry run, and the erasure certificate.

const JOBS = `${API}/deletion-jobs`;
/** How often a running job is polled; a waiting one (held interactions) changes rarely. */
const POLL_MS = { queued: 1000, running: 1000, waiting: 5000 } as const;

export default function DeletionJobPage({ params }: PageProps) {
  const id = params.id;
  const path = `${JOBS}/${encodeURIComponent(id)}`;
  const [job, setJob] = useState<DeletionJob>();
  const [error, setError] = useState<string>();
  const [gone, setGone] = useState(false);
  const [pending, setPending] = useState<'cancel' | 'run'>();
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const { data } = await api<DeletionJob>(path, { signal: abort.signal });
        setJob(data);
        setError(undefined);
        if (ACTIVE_JOB.has(data.status))
          timer = setTimeout(poll, POLL_MS[data.status as keyof typeof POLL_MS] ?? 2000);
      } catch (err) {
        if (isAbort(err)) return;
        if (err instanceof ApiError && err.status === 404) setGone(true);
        else {
          setError(describeError(err, 'Loading the job'));
          timer = setTimeout(poll, 5000);
        }
      }
    };
    void poll();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [path, tick]);

  const cancel = async () => {
    setBusy(true);
    try {
      const { data } = await api<DeletionJob>(path, { method: 'DELETE' });
      setJob(data);
    } catch (err) {
      setError(describeError(err, 'Cancelling the job'));
    } finally {
      setBusy(false);
      setPending(undefined);
    }
  };

  const runForReal = async (j: DeletionJob) => {
    setBusy(true);
    try {
      const { data } = await api<DeletionJob>(JOBS, {
        method: 'POST',
        body: {
          match: j.match,
          dryRun: false,
          reason: j.reason,
          ...(j.reference && { reference: j.reference }),
        },
      });
      navigate(`/deletion-jobs/${data.id}`);
    } catch (err) {
      setError(describeError(err, 'Starting the deletion'));
    } finally {
      setBusy(false);
      setPending(undefined);
    }
  };

  const j = job;
  const done = j ? j.counts.deleted + j.counts.held + j.counts.failed : 0;
  return (
    <section aria-labelledby="page-title">
      <p class="crumbs">
        <a href={href('/deletion-jobs')}>← Deletion jobs</a>
      </p>
      <h1 id="page-title" tabIndex={-1}>
        {j?.dryRun ? 'Dry run' : 'Deletion job'}
      </h1>
      <p class="guid">{id}</p>
      {gone && <Alert kind="info">Not found: no such job in your account.</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
      {j && (
        <>
          <dl class="meta">
            <div>
              <dt>Status</dt>
              <dd>
                <span class={`badge badge-${j.status}`} data-testid="job-status">
                  {j.status}
                </span>
              </dd>
            </div>
            <div>
              <dt>Reason</dt>
              <dd>
                {j.reason}
                {j.reference && <> ({j.reference})</>}
              </dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>
                <Time iso={j.createdAt} />
              </dd>
            </div>
            {j.finishedAt && (
              <div>
                <dt>Finished</dt>
                <dd>
                  <Time iso={j.finishedAt} />
                </dd>
              </div>
            )}
            <div class="wide">
              <dt>Match</dt>
              <dd>
                <MatchText job={j} />
              </dd>
            </div>
          </dl>
          <div class="panel progress-panel" aria-live="polite">
            {j.dryRun ? (
              <p role="status">
                {j.status === 'completed' ? (
                  <>
                    <strong>{j.counts.matched}</strong> interaction{j.counts.matched === 1 ? '' : 's'} match.
                    Nothing was deleted.
                  </>
                ) : (
                  <>Counting what matches… {j.counts.matched} so far.</>
                )}
              </p>
            ) : (
              <>
                <label for="job-progress">
                  {done} of {j.counts.matched} done: {j.counts.deleted} deleted, {j.counts.held} held,{' '}
                  {j.counts.failed} failed
                </label>
                <progress
                  id="job-progress"
                  max={Math.max(1, j.counts.matched)}
                  value={j.status === 'queued' ? undefined : done}
                />
              </>
            )}
            {j.status === 'waiting' && (
              <p>
                Waiting: {j.counts.held} interaction{j.counts.held === 1 ? ' is' : 's are'} under legal hold.
                They are deleted when their hold is released.
              </p>
            )}
            {j.status === 'failed' && (
              <Alert kind="error">
                The job failed{j.error ? `: ${j.error}` : ''}. See the items for what went wrong.
              </Alert>
            )}
            {j.cancelRequested && ACTIVE_JOB.has(j.status) && (
              <p>Cancelling: the job stops after its current item.</p>
            )}
            {j.status === 'cancelled' && <p>Cancelled. What was deleted before stays deleted.</p>}
            <div class="actions">
              {ACTIVE_JOB.has(j.status) && !j.cancelRequested && (
                <button type="button" class="danger" onClick={() => setPending('cancel')} disabled={busy}>
                  Cancel the job…
                </button>
              )}
              {j.dryRun && j.status === 'completed' && j.counts.matched > 0 && (
                <button type="button" class="danger" onClick={() => setPending('run')} disabled={busy}>
                  Run the deletion for real…
                </button>
              )}
            </div>
          </div>
          {!j.dryRun && !ACTIVE_JOB.has(j.status) && j.counts.deleted > 0 && <CertificatePanel job={j} />}
          <Items path={path} dryRun={j.dryRun} version={`${j.status}:${done}:${tick}`} />
        </>
      )}
      {pending === 'cancel' && j && (
        <Confirm
          title="Cancel this job?"
          confirmLabel="Cancel the job"
          danger
          busy={busy}
          onCancel={() => setPending(undefined)}
          onConfirm={() => void cancel()}
        >
          <p>The job stops. What it has deleted stays deleted; the rest is kept.</p>
        </Confirm>
      )}
      {pending === 'run' && j && (
        <Confirm
          title="Run the deletion?"
          confirmLabel="Delete"
          danger
          busy={busy}
          onCancel={() => setPending(undefined)}
          onConfirm={() => void runForReal(j)}
        >
          <p>
            This erases what the dry run matched — {j.counts.matched} interaction
            {j.counts.matched === 1 ? '' : 's'} (
            {j.match.contentTypes?.length
              ? j.match.contentTypes.map(typeLabel).join(', ')
              : 'whole interactions'}
            ) — and whatever matches the same criteria by the time it runs. Interactions under legal hold wait
            for their release.
          </p>
          <p>
            Reason in the ledger: <strong>{j.reason}</strong>. It cannot be undone.
          </p>
        </Confirm>
      )}
      <button type="button" class="link small" onClick={() => setTick((t) => t + 1)}>
        Refresh
      </button>
    </section>
  );
}

function MatchText({ job }: { job: DeletionJob }) {
  const m = job.match;
  const parts: string[] = [];
  if (m.addresses?.length) parts.push(`address ${m.addresses.join(' or ')}`);
  if (m.handlingAgentId) parts.push(`agent ${m.handlingAgentId}`);
  if (m.direction) parts.push(m.direction);
  parts.push(
    m.contentTypes?.length ? `only ${m.contentTypes.map(typeLabel).join(', ')}` : 'whole interactions',
  );
  return (
    <>
      {parts.join(' · ')}
      {m.start && m.end && (
        <>
          {' · '}from <Time iso={m.start} /> to <Time iso={m.end} />
        </>
      )}
    </>
  );
}

interface ItemsPage {
  items: JobItem[];
  meta: { nextContinuationToken: string | null };
}

function Items({ path, dryRun, version }: { path: string; dryRun: boolean; version: string }) {
  const [trail, setTrail] = useState<string[]>(['']);
  const token = trail[trail.length - 1];
  const page = useApi<ItemsPage>(
    `${path}/items`,
    { what: 'Loading the items', query: { limit: 50, continuationToken: token || undefined } },
    [token, version],
  );
  const items = page.data?.items ?? [];
  const next = page.data?.meta.nextContinuationToken;
  return (
    <section aria-labelledby="items-title">
      <h2 id="items-title">{dryRun ? 'Matched interactions' : 'Items'}</h2>
      {page.state === 'error' && <Alert kind="error">{page.message}</Alert>}
      {page.state === 'ok' && items.length === 0 && <p class="muted">None yet.</p>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="results job-items">
            <caption class="visually-hidden">Job items</caption>
            <thead>
              <tr>
                <th scope="col">Interaction</th>
                <th scope="col">Outcome</th>
                <th scope="col">Receipt</th>
              </tr>
            </thead>
            <tbody>
              {items.map((it) => (
                <tr key={it.guid}>
                  <td data-label="Interaction">
                    <a href={href(`/interactions/${it.guid}`)} class="mono">
                      {it.guid}
                    </a>
                  </td>
                  <td data-label="Outcome">
                    <span class={`badge badge-${it.outcome}`}>{it.outcome}</span>
                    {it.message && <div class="muted small">{it.message}</div>}
                  </td>
                  <td data-label="Receipt">
                    {it.receipt
                      ? parseReceipt(it.receipt).map((e) => (
                          <span key={e.seq} class="receipt-ref">
                            #{e.seq} <code title={it.receipt ?? ''}>{e.hash.slice(0, 12)}…</code>
                            {it.entries && it.entries.length > 1 && (
                              <span class="muted small"> (last of {it.entries.length} ledger entries)</span>
                            )}
                          </span>
                        ))
                      : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {(trail.length > 1 || next) && (
        <nav class="pager" aria-label="Item pages">
          <button type="button" disabled={trail.length === 1} onClick={() => setTrail(trail.slice(0, -1))}>
            Previous page
          </button>
          <button type="button" disabled={!next} onClick={() => next && setTrail([...trail, next])}>
            Next page
          </button>
        </nav>
      )}
    </section>
  );
}
