import { useState } from 'preact/hooks';
import type { DeletionJob, JobMatch } from '../api/admin-types.ts';
import { api } from '../api/client.ts';
import { describeError } from '../api/errors.ts';
import { API } from '../api/types.ts';
import { Alert } from '../components/alert.tsx';
import { MissingApi } from '../components/missing-api.tsx';
import { Time } from '../components/time.tsx';
import { TYPE_LABELS, typeLabel } from '../lib/content-kinds.ts';
import { localInputToIso } from '../lib/format.ts';
import { itemsOf, useApi } from '../lib/use-api.ts';
import { href, navigate } from '../router.ts';
import type { PageProps } from './registry.ts';

// Bulk and subject erasure (platform-api §2): describe what to erase, run a dry run to see what it
// matches, then the real job; each job has its own page with live progress and the certificate.

export const JOBS = `${API}/deletion-jobs`;

interface Form {
  addresses: string;
  agent: string;
  start: string;
  end: string;
  direction: '' | 'inbound' | 'outbound';
  contentTypes: string[];
  reason: string;
  reference: string;
}

const EMPTY: Form = {
  addresses: '',
  agent: '',
  start: '',
  end: '',
  direction: '',
  contentTypes: [],
  reason: '',
  reference: '',
};

/** The request body for a form, or the sentence that says what is missing. */
export function jobRequest(f: Form, dryRun: boolean): { body: object } | { problem: string } {
  const addresses = f.addresses
    .split(/[\n,;]/)
    .map((a) => a.trim())
    .filter(Boolean);
  const start = localInputToIso(f.start);
  const end = localInputToIso(f.end);
  if (!addresses.length && !f.agent.trim() && !(start && end))
    return { problem: 'Say what to erase: addresses, an agent, or a start and an end.' };
  if ((start && !end) || (end && !start)) return { problem: 'A time range needs both a start and an end.' };
  if (start && end && Date.parse(end) <= Date.parse(start))
    return { problem: 'The end must be after the start.' };
  if (addresses.length > 100)
    return { problem: `At most 100 addresses per job (${addresses.length} given).` };
  if (!f.reason.trim()) return { problem: 'A reason is required: it is written into every ledger entry.' };
  const match: JobMatch = {
    ...(addresses.length && { addresses }),
    ...(f.agent.trim() && { handlingAgentId: f.agent.trim() }),
    ...(start && end && { start, end }),
    ...(f.direction && { direction: f.direction }),
    ...(f.contentTypes.length && { contentTypes: f.contentTypes }),
  };
  return {
    body: {
      match,
      dryRun,
      reason: f.reason.trim(),
      ...(f.reference.trim() && { reference: f.reference.trim() }),
    },
  };
}

export default function DeletionJobsPage(_: PageProps) {
  const list = useApi<unknown>(JOBS, { what: 'Loading the deletion jobs', query: { limit: 50 } });
  const [form, setForm] = useState<Form>(EMPTY);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (name: keyof Form) => (e: Event) =>
    setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value });

  const start = async () => {
    const req = jobRequest(form, true);
    if ('problem' in req) {
      setError(req.problem);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const { data } = await api<DeletionJob>(JOBS, { method: 'POST', body: req.body });
      navigate(`/deletion-jobs/${data.id}`);
    } catch (err) {
      setError(describeError(err, 'Creating the job'));
      setBusy(false);
    }
  };

  const jobs = itemsOf<DeletionJob>(list.data);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Deletion jobs
      </h1>
      <p class="muted">
        Erase everything about a caller, an agent or a period in one request. A job always starts as a dry run
        that only counts what it matches; you run it for real from its page.
      </p>
      {list.state === 'missing' && <MissingApi path={JOBS} />}
      {list.state !== 'missing' && (
        <>
          <form
            class="panel job-form"
            aria-labelledby="new-job-title"
            onSubmit={(e) => {
              e.preventDefault();
              void start();
            }}
          >
            <h2 id="new-job-title">New deletion job</h2>
            <div class="job-fields">
              <div class="field wide">
                <label for="j-addresses">Addresses (phone numbers or e-mail, one a line)</label>
                <textarea
                  id="j-addresses"
                  rows={3}
                  value={form.addresses}
                  onInput={set('addresses')}
                  aria-describedby="j-addresses-help"
                />
                <p id="j-addresses-help" class="muted small">
                  Matches the caller or the called party; spaces, dashes and dots in numbers and the case of
                  e-mail addresses do not matter.
                </p>
              </div>
              <div class="field">
                <label for="j-agent">Agent id</label>
                <input id="j-agent" value={form.agent} onInput={set('agent')} autoComplete="off" />
              </div>
              <div class="field">
                <label for="j-start">From</label>
                <input id="j-start" type="datetime-local" value={form.start} onInput={set('start')} />
              </div>
              <div class="field">
                <label for="j-end">To</label>
                <input id="j-end" type="datetime-local" value={form.end} onInput={set('end')} />
              </div>
              <div class="field">
                <label for="j-direction">Direction</label>
                <select id="j-direction" value={form.direction} onChange={set('direction')}>
                  <option value="">Both</option>
                  <option value="inbound">inbound</option>
                  <option value="outbound">outbound</option>
                </select>
              </div>
            </div>
            <details>
              <summary>
                Content types:{' '}
                {form.contentTypes.length
                  ? form.contentTypes.map(typeLabel).join(', ')
                  : 'all (whole interactions)'}
              </summary>
              <div class="checks grid">
                {Object.keys(TYPE_LABELS).map((t) => (
                  <label key={t} class="check">
                    <input
                      type="checkbox"
                      checked={form.contentTypes.includes(t)}
                      onChange={() =>
                        setForm({
                          ...form,
                          contentTypes: form.contentTypes.includes(t)
                            ? form.contentTypes.filter((x) => x !== t)
                            : [...form.contentTypes, t],
                        })
                      }
                    />
                    {typeLabel(t)}
                  </label>
                ))}
              </div>
            </details>
            <div class="job-fields">
              <div class="field wide">
                <label for="j-reason">Reason (written into every ledger entry)</label>
                <input
                  id="j-reason"
                  value={form.reason}
                  onInput={set('reason')}
                  maxLength={500}
                  aria-required="true"
                  placeholder="e.g. GDPR Art. 17 request"
                />
              </div>
              <div class="field">
                <label for="j-reference">Reference (optional)</label>
                <input id="j-reference" value={form.reference} onInput={set('reference')} maxLength={200} />
              </div>
            </div>
            {error && <Alert kind="error">{error}</Alert>}
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Starting…' : 'Start a dry run'}
            </button>
          </form>
          <h2>Jobs</h2>
          {list.state === 'error' && <Alert kind="error">{list.message}</Alert>}
          {list.state === 'ok' && jobs.length === 0 && <p class="muted">No deletion jobs yet.</p>}
          {jobs.length > 0 && <JobTable jobs={jobs} />}
        </>
      )}
    </section>
  );
}

function JobTable({ jobs }: { jobs: DeletionJob[] }) {
  return (
    <div class="table-wrap">
      <table class="results jobs">
        <caption class="visually-hidden">Deletion jobs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Created</th>
            <th scope="col">Kind</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            <th scope="col">Counts</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id}>
              <td data-label="Created">
                <a href={href(`/deletion-jobs/${j.id}`)} aria-label={`Job ${j.id}`}>
                  <Time iso={j.createdAt} />
                </a>
              </td>
              <td data-label="Kind">{j.dryRun ? 'dry run' : 'deletion'}</td>
              <td data-label="Status">
                <span class={`badge badge-${j.status}`}>{j.status}</span>
              </td>
              <td data-label="Reason">
                {j.reason}
                {j.reference && <span class="muted"> ({j.reference})</span>}
              </td>
              <td data-label="Counts">
                {j.counts.matched} matched
                {!j.dryRun && (
                  <>
                    , {j.counts.deleted} deleted, {j.counts.held} held, {j.counts.failed} failed
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
