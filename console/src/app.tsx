import type { ComponentType } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ConsoleConfig } from './auth/config.ts';
import { session as currentSession, onSessionChange, type Session, signOut } from './auth/session.ts';
import { Alert } from './components/alert.tsx';
import { ConfigContext, SessionContext } from './context.ts';
import { missingScope as lacks, matchPage, PAGES, type PageDef, type PageProps } from './pages/registry.ts';
import { SignIn } from './pages/sign-in.tsx';
import { href, useRoute } from './router.ts';

const loaded = new Map<string, ComponentType<PageProps>>();

function usePage(page: PageDef | undefined) {
  const [component, setComponent] = useState<ComponentType<PageProps> | undefined>(() =>
    page ? loaded.get(page.id) : undefined,
  );
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!page) return;
    const known = loaded.get(page.id);
    if (known) {
      setComponent(() => known);
      return;
    }
    setComponent(undefined);
    page.load().then(
      (m) => {
        loaded.set(page.id, m.default);
        setComponent(() => m.default);
      },
      () => setError('This page could not be loaded; the server may have been updated. Reload the console.'),
    );
  }, [page?.id]);
  return { component, error };
}

export function App({ config, initialReason }: { config: ConsoleConfig; initialReason?: string }) {
  const [session, setSession] = useState<Session | undefined>(currentSession);
  const [reason, setReason] = useState(initialReason);
  useEffect(
    () =>
      onSessionChange((s, why) => {
        setSession(s ? { ...s } : undefined);
        if (!s) setReason(why);
      }),
    [],
  );
  return (
    <ConfigContext.Provider value={config}>
      {session ? (
        <SessionContext.Provider value={session}>
          <Shell session={session} />
        </SessionContext.Provider>
      ) : (
        <SignIn config={config} reason={reason} />
      )}
    </ConfigContext.Provider>
  );
}

function Shell({ session }: { session: Session }) {
  const route = useRoute();
  const match = matchPage(route.path);
  const { component: Page, error } = usePage(match?.page);
  const main = useRef<HTMLElement>(null);
  const [menuOpen, setMenuOpen] = useState(false);

  // A new page moves focus to its heading, so keyboard and screen-reader users start there.
  useEffect(() => {
    setMenuOpen(false);
    const t = setTimeout(() => main.current?.querySelector<HTMLElement>('h1')?.focus(), 0);
    return () => clearTimeout(t);
  }, [route.path, Page]);

  const nav = PAGES.filter((p) => p.nav && !lacks(p, session.scopes));
  const missingScope = match ? lacks(match.page, session.scopes) : undefined;
  const minutesLeft = Math.max(0, Math.round((session.expiresAt - Date.now()) / 60_000));
  return (
    <>
      <button type="button" class="skip" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <a class="brand" href="#/search">
          ICS console
        </a>
        <button
          type="button"
          class="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </button>
        <nav id="main-nav" aria-label="Main" class={menuOpen ? 'open' : ''}>
          <ul>
            {nav.map((p) => (
              <li key={p.id}>
                <a href={href(p.path)} aria-current={match?.page.id === p.id ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span
            title={`Scopes: ${[...session.scopes].join(' ')}. Token renews before it expires (${minutesLeft} min left now).`}
          >
            {session.who} · {session.account}
          </span>
          <button type="button" onClick={() => signOut('You signed out.')}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {!match && (
          <section>
            <h1 tabIndex={-1}>Page not found</h1>
            <p>
              <a href="#/search">Find interactions</a>
            </p>
          </section>
        )}
        {match && missingScope && (
          <section>
            <h1 tabIndex={-1}>{match.page.title}</h1>
            <Alert kind="warning">
              Not allowed: your sign-in lacks the {missingScope} scope this page needs. Ask an administrator
              for a client with it.
            </Alert>
          </section>
        )}
        {match && !missingScope && error && <Alert kind="error">{error}</Alert>}
        {match && !missingScope && !error && !Page && <p class="muted">Loading…</p>}
        {match && !missingScope && Page && <Page key={match.page.id} route={route} params={match.params} />}
      </main>
    </>
  );
}
