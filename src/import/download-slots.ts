import { SourceError } from './source-error.js';

/**
 * At most `size` downloads in flight. A slot is held from the request until the body has been read,
 * not until the file is durable: the fsyncs and the commit that follow a download overlap the next
 * one, so the source always has `size` transfers under way, as a plain download loop would.
 */
export class DownloadSlots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  /** Waits for a slot; the returned function gives it back (calling it again does nothing). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else
      await new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(interrupted());
        const granted = () => {
          signal?.removeEventListener('abort', stop);
          resolve();
        };
        const stop = () => {
          const i = this.#waiting.indexOf(granted);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(interrupted());
        };
        signal?.addEventListener('abort', stop, { once: true });
        this.#waiting.push(granted);
      });
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

const interrupted = () => new SourceError({ kind: 'aborted', message: 'interrupted', retryable: false });
