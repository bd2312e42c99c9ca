import { useEffect, useState } from 'preact/hooks';
import type { DeletionJob } from '../api/admin-types.ts';
import { api, authorisedFetch } from '../api/client.ts';
import { describeError, isMissingRoute } from '../api/errors.ts';
import { API } from '../api/types.ts';
import { Alert } from '../components/alert.tsx';
import { MissingApi } from '../components/missing-api.tsx';
import type { AuditEntry } from '../lib/audit.ts';
import type { CertificateCheck } from '../lib/certificate.ts';

// The erasure certificate of a finished job: download it (what one hands to a regulator), verify its
// signature here against the server's published JWKS, and check that every ledger entry it names is
// in the ledger with that hash. jose is loaded only when a certificate is verified.

const JOBS = `${API}/deletion-jobs`;

type Ledger =
  | { state: 'idle' }
  | { state: 'running'; read: number }
  | { state: 'done'; missing: number[]; checked: number };

export function CertificatePanel({ job }: { job: DeletionJob }) {
  const path = `${JOBS}/${encodeURIComponent(job.id)}/certificate`;
  const [jws, setJws] = useState<string>();
  const [check, setCheck] = useState<CertificateCheck>();
  const [entries, setEntries] = useState<{ seq: number; hash: string }[]>([]);
  const [ledger, setLedger] = useState<Ledger>({ state: 'idle' });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const [missing, setMissing] = useState(false);

  // Fetched at once (it is small): the download is then immediate, and a server without
  // certificates says so instead of offering a button that fails.
  useEffect(() => {
    load().catch((err) => {
      if (isMissingRoute(err)) setMissing(true);
      else setError(describeError(err, 'Loading the certificate'));
    });
  }, [job.id]);

  const load = async (): Promise<string> => {
    if (jws) return jws;
    const res = await authorisedFetch(path, { headers: { accept: 'application/jose' } });
    const text = (await res.text()).trim();
    setJws(text);
    return text;
  };

  const save = async () => {
    setError(undefined);
    try {
      const text = await load();
      const url = URL.createObjectURL(new Blob([text], { type: 'application/jose' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `erasure-certificate-${job.id}.jws`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      setError(describeError(err, 'The certificate download'));
    }
  };

  const verify = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const [text, lib, jwks] = await Promise.all([
        load(),
        import('../lib/certificate.ts'),
        fetch(`${API}/.well-known/jwks.json`, { credentials: 'omit', cache: 'no-store' }).then((r) => {
          if (!r.ok) throw new Error(`the JWKS answered ${r.status}`);
          return r.json();
        }),
      ]);
      const result = await lib.verifyCertificate(text, jwks);
      setCheck(result);
      if (result.ok) setEntries(lib.certificateEntries(result.payload));
    } catch (err) {
      setError(describeError(err, 'The verification'));
    } finally {
      setBusy(false);
    }
  };

  // The job's entries come after it was created: walk the ledger from then, 1000 a request.
  const checkLedger = async () => {
    const wanted = new Map(entries.map((e) => [e.seq, e.hash]));
    const bad: number[] = [];
    let read = 0;
    let token: string | null = null;
    setLedger({ state: 'running', read });
    try {
      do {
        const page: { data: { items: AuditEntry[]; meta: { nextContinuationToken: string | null } } } =
          await api(`${API}/audit`, {
            query: { start: job.createdAt, limit: 1000, continuationToken: token ?? undefined },
          });
        for (const e of page.data.items) {
          const hash = wanted.get(e.seq);
          if (hash === undefined) continue;
          if (hash !== e.hash) bad.push(e.seq);
          wanted.delete(e.seq);
        }
        read += page.data.items.length;
        setLedger({ state: 'running', read });
        token = page.data.meta.nextContinuationToken;
      } while (token && wanted.size > 0);
      setLedger({
        state: 'done',
        missing: [...bad, ...wanted.keys()].sort((a, b) => a - b),
        checked: entries.length,
      });
    } catch (err) {
      setLedger({ state: 'idle' });
      setError(describeError(err, 'Reading the ledger'));
    }
  };

  return (
    <section class="panel certificate" aria-labelledby="cert-title">
      <h2 id="cert-title">Erasure certificate</h2>
      <p class="muted small">
        A JWS signed with the server's Ed25519 key, naming the job, its match, its counts and the ledger entry
        of every deleted item. Anyone can check it offline against <code>{API}/.well-known/jwks.json</code>.
      </p>
      {missing && <MissingApi path={`${JOBS}/{id}/certificate`} />}
      {error && <Alert kind="error">{error}</Alert>}
      <div class="actions" hidden={missing}>
        <button type="button" class="primary" onClick={() => void save()}>
          Download the certificate
        </button>
        <button type="button" onClick={() => void verify()} disabled={busy}>
          {busy ? 'Verifying…' : 'Verify the signature'}
        </button>
      </div>
      <div aria-live="polite">
        {check?.ok && (
          <div class="verified" role="status">
            <p>
              <strong>Signature valid</strong> ({check.alg}, key <code>{check.kid ?? 'unnamed'}</code> from
              the JWKS). It names {entries.length} ledger entr{entries.length === 1 ? 'y' : 'ies'}.
            </p>
            {entries.length > 0 && ledger.state === 'idle' && (
              <button type="button" onClick={() => void checkLedger()}>
                Check the entries against the ledger
              </button>
            )}
            {ledger.state === 'running' && <p>Reading the ledger… {ledger.read} entries read.</p>}
            {ledger.state === 'done' && ledger.missing.length === 0 && (
              <p>
                <strong>All {ledger.checked} entries are in the ledger with the certified hashes.</strong>
              </p>
            )}
            {ledger.state === 'done' && ledger.missing.length > 0 && (
              <Alert kind="error">
                {ledger.missing.length} of {ledger.checked} entries are missing from the ledger or differ: #
                {ledger.missing.slice(0, 10).join(', #')}
              </Alert>
            )}
            <details>
              <summary>Certificate contents</summary>
              <pre>{JSON.stringify(check.payload, null, 2)}</pre>
            </details>
          </div>
        )}
        {check && !check.ok && <Alert kind="error">Certificate not valid: {check.problem}.</Alert>}
      </div>
    </section>
  );
}
