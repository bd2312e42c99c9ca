import { authorisedFetch } from '../api/client.ts';
import { currentToken } from '../auth/session.ts';

// How media reaches <audio>/<video>: through the service worker (sw.ts), which adds the token to
// the element's own Range requests, so playback streams and seeks without downloading the file.
// Where no service worker can run (plain http to a remote host, some private modes), the file is
// fetched with the token into a Blob instead: playable and seekable, but downloaded whole first.

let ready: Promise<boolean> | undefined;

/** Registers the worker once and answers its token requests; true when it controls this page. */
export function mediaWorkerReady(): Promise<boolean> {
  if (ready) return ready;
  ready = (async () => {
    if (!('serviceWorker' in navigator) || !window.isSecureContext) return false;
    navigator.serviceWorker.addEventListener('message', (event: MessageEvent<{ type?: string }>) => {
      if (event.data?.type !== 'ics-token-request' || !event.ports[0]) return;
      event.ports[0].postMessage({ token: currentToken() });
    });
    try {
      await navigator.serviceWorker.register('/console/sw.js', { scope: '/console/' });
      await navigator.serviceWorker.ready;
      if (navigator.serviceWorker.controller) return true;
      // The first visit: the worker claims the page as it activates.
      return await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 3000);
        navigator.serviceWorker.addEventListener('controllerchange', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    } catch {
      return false;
    }
  })();
  return ready;
}

export interface MediaSource {
  url: string;
  /** 'stream': Range requests through the worker; 'blob': downloaded whole. */
  mode: 'stream' | 'blob';
  release(): void;
}

export async function mediaSource(path: string, signal?: AbortSignal): Promise<MediaSource> {
  if (await mediaWorkerReady()) return { url: path, mode: 'stream', release() {} };
  const res = await authorisedFetch(path, { signal });
  const url = URL.createObjectURL(await res.blob());
  return { url, mode: 'blob', release: () => URL.revokeObjectURL(url) };
}

/** Saves a content file: fetched with the token, handed to the browser as a download. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await authorisedFetch(path);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
