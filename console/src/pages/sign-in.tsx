import { useState } from 'preact/hooks';
import type { ConsoleConfig } from '../auth/config.ts';
import { startOidcSignIn } from '../auth/oidc.ts';
import { signInWithClient } from '../auth/session.ts';
import { Alert } from '../components/alert.tsx';

export function SignIn({ config, reason }: { config: ConsoleConfig; reason?: string }) {
  const [clientId, setClientId] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signInWithClient(config, clientId.trim(), secret);
    } catch (err) {
      setError(err instanceof TypeError ? 'The server cannot be reached.' : (err as Error).message);
      setBusy(false);
    }
  };
  const sso = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await startOidcSignIn(config.oidc!);
    } catch (err) {
      setError(`Single sign-on is not reachable: ${(err as Error).message}`);
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1 id="page-title" tabIndex={-1}>
        Sign in to the ICS console
      </h1>
      {reason && <Alert kind="warning">{reason}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
      {config.oidc && (
        <div class="panel">
          <button type="button" class="primary wide" onClick={() => void sso()} disabled={busy}>
            Sign in with single sign-on ({new URL(config.oidc.issuer).host})
          </button>
        </div>
      )}
      <form class="panel" onSubmit={submit}>
        <h2>{config.oidc ? 'Or with an API client' : 'With an API client'}</h2>
        <div class="field">
          <label for="client-id">Client id</label>
          <input
            id="client-id"
            value={clientId}
            onInput={(e) => setClientId(e.currentTarget.value)}
            required
            autoComplete="username"
            spellcheck={false}
          />
        </div>
        <div class="field">
          <label for="client-secret">Client secret</label>
          <input
            id="client-secret"
            type="password"
            value={secret}
            onInput={(e) => setSecret(e.currentTarget.value)}
            required
            autoComplete="current-password"
          />
        </div>
        <button type="submit" class="primary wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="muted small">
          The token is kept in this tab's memory only: closing or reloading the tab signs you out. What you
          can do is what the client's scopes allow.
        </p>
      </form>
    </main>
  );
}
