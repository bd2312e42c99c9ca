/// <reference lib="webworker" />
// The console's service worker does one thing: it adds the page's Bearer token to the requests that
// <audio> and <video> elements make for content downloads, so the browser streams and seeks with
// ordinary Range requests against the API. It keeps nothing: for each request it asks the page
// that made it for its current token (the token lives only in that page's memory), and it caches
// nothing.

export {};

declare const self: ServiceWorkerGlobalScope;

const CONTENT = /^\/interaction-content\/interactions\/[^/]+\/content\/[^/]+$/;
const MEDIA = new Set(['audio', 'video']);

self.addEventListener('install', () => {
  void self.skipWaiting();
});
self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

async function tokenOf(clientId: string): Promise<string | undefined> {
  const client = clientId ? await self.clients.get(clientId) : undefined;
  if (!client) return undefined;
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(undefined), 2000);
    channel.port1.onmessage = (e: MessageEvent<{ token?: unknown }>) => {
      clearTimeout(timer);
      resolve(typeof e.data?.token === 'string' ? e.data.token : undefined);
    };
    client.postMessage({ type: 'ics-token-request' }, [channel.port2]);
  });
}

async function withToken(event: FetchEvent): Promise<Response> {
  const original = event.request;
  const token = await tokenOf(event.clientId);
  const headers = new Headers();
  const range = original.headers.get('range');
  if (range) headers.set('range', range);
  if (token) headers.set('authorization', `Bearer ${token}`);
  // A new same-origin request: the media element's own is no-cors, which drops Authorization.
  return fetch(original.url, {
    method: original.method,
    headers,
    mode: 'same-origin',
    credentials: 'omit',
    cache: 'no-store',
    redirect: 'error',
    signal: original.signal,
  });
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || !MEDIA.has(req.destination) || req.headers.has('authorization')) return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || !CONTENT.test(url.pathname)) return;
  event.respondWith(withToken(event));
});
