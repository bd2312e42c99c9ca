import { render } from 'preact';
import { App } from './app.tsx';
import { loadConfig } from './auth/config.ts';
import { completeOidcSignIn } from './auth/oidc.ts';
import { startOidcSession } from './auth/session.ts';
import { mediaWorkerReady } from './lib/media.ts';

async function boot() {
  const root = document.getElementById('app')!;
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig();
  } catch (err) {
    root.textContent = `The console cannot start: ${(err as Error).message}`;
    return;
  }
  void mediaWorkerReady();
  let reason: string | undefined;
  try {
    const tokens = await completeOidcSignIn(config.oidc);
    if (tokens) startOidcSession(config, tokens);
  } catch (err) {
    reason = `Single sign-on failed: ${(err as Error).message}`;
  }
  if (!window.isSecureContext)
    reason = `${reason ? `${reason} ` : ''}This page is not served over HTTPS: single sign-on and ledger verification need it.`;
  render(<App config={config} initialReason={reason} />, root);
}

void boot();
