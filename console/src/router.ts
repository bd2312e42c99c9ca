import { useEffect, useState } from 'preact/hooks';

// Hash routes (#/search?…, #/interactions/<guid>): the server serves one page, and nothing secret
// is ever put in them.

export interface Route {
  path: string;
  query: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#/, '') || '/search';
  const [path, qs = ''] = hash.split('?', 2);
  return { path: path || '/search', query: new URLSearchParams(qs) };
}

export const href = (path: string, query?: Record<string, string | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) q.set(k, v);
  const qs = q.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
};

export function navigate(path: string, query?: Record<string, string | undefined>, replace = false) {
  const target = href(path, query);
  if (replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
