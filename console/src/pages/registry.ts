import type { ComponentType } from 'preact';
import type { Route } from '../router.ts';

// Every page of the console, in nav order. A page is a module loaded on first visit (its own chunk).
// A page for an API that a server may not have yet loads its data with `useApi` (lib/use-api.ts),
// which reports a missing route, and shows <MissingApi>: "not available on this server". Adding a
// page is a module here and its entry below.

export interface PageProps {
  route: Route;
  params: Record<string, string>;
}

export interface PageDef {
  id: string;
  title: string;
  /** '/interactions/:guid' — `:name` segments become params. */
  path: string;
  /** Shown in the navigation (detail pages are not). */
  nav: boolean;
  /** The scope the page's API needs (any one of a list); without it the nav entry is hidden and the page explains. */
  scope?: string | string[];
  load: () => Promise<{ default: ComponentType<PageProps> }>;
}

export const PAGES: PageDef[] = [
  {
    id: 'search',
    title: 'Find',
    path: '/search',
    nav: true,
    scope: 'interaction-content:read',
    load: () => import('./search.tsx'),
  },
  {
    id: 'interaction',
    title: 'Interaction',
    path: '/interactions/:guid',
    nav: false,
    scope: 'interaction-content:read',
    load: () => import('./interaction.tsx'),
  },
  {
    id: 'audit',
    title: 'Audit ledger',
    path: '/audit',
    nav: true,
    scope: 'interaction-content:admin',
    load: () => import('./audit.tsx'),
  },
  {
    id: 'retention',
    title: 'Retention',
    path: '/retention',
    nav: true,
    scope: 'interaction-content:admin',
    load: () => import('./retention.tsx'),
  },

  {
    id: 'deletion-jobs',
    title: 'Deletion jobs',
    path: '/deletion-jobs',
    nav: true,
    scope: 'interaction-content:admin',
    load: () => import('./deletion-jobs.tsx'),
  },
  {
    id: 'deletion-job',
    title: 'Deletion job',
    path: '/deletion-jobs/:id',
    nav: false,
    scope: 'interaction-content:admin',
    load: () => import('./deletion-job.tsx'),
  },

  {
    id: 'webhooks',
    title: 'Webhooks',
    path: '/webhooks',
    nav: true,
    // admin:read reads subscriptions; interaction-content:admin grants it (and admin:write).
    scope: ['interaction-content:admin', 'admin:read'],
    load: () => import('./webhooks.tsx'),
  },
  {
    id: 'webhook',
    title: 'Webhook subscription',
    path: '/webhooks/:id',
    nav: false,
    scope: ['interaction-content:admin', 'admin:read'],
    load: () => import('./webhook.tsx'),
  },

  {
    id: 'clients',
    title: 'API clients',
    path: '/clients',
    nav: true,
    scope: 'interaction-content:admin',
    load: () => import('./clients.tsx'),
  },
];

/** The scope a page needs that the session lacks (the first of its list), or undefined when allowed. */
export function missingScope(page: PageDef, scopes: ReadonlySet<string>): string | undefined {
  if (!page.scope) return undefined;
  const any = Array.isArray(page.scope) ? page.scope : [page.scope];
  return any.some((s) => scopes.has(s)) ? undefined : any[0];
}

/** The page a path names, with its params. */
export function matchPage(path: string): { page: PageDef; params: Record<string, string> } | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const page of PAGES) {
    const pattern = page.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (
      pattern.every((seg, i) => {
        if (seg.startsWith(':')) {
          params[seg.slice(1)] = decodeURIComponent(parts[i]);
          return true;
        }
        return seg === parts[i];
      })
    )
      return { page, params };
  }
  return undefined;
}
