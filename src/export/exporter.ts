import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BlobNotFoundError, type BlobStore } from '../blobs/blob-store.js';
import { StoreUnavailableError } from '../core/errors.js';
import type { Faults } from '../core/faults.js';
import type { ContentRecord, InteractionWithContent } from '../core/types.js';
import { isValidMediaType } from '../http/download-headers.js';
import { interaction as wireInteraction } from '../http/serialize.js';
import type { MetadataReader } from '../metadata/metadata-store.js';
import { type ExportTarget, TargetRejectedError } from './export-target.js';
import { contentFileKey, metadataKey } from './key-layout.js';
import type { ItemFailure } from './types.js';
import { ContentMismatchError, verifiedBody } from './verified-body.js';

/** One interaction and the items of it to export (those that match the job's filters). */
export interface ExportEntry {
  interaction: InteractionWithContent;
  items: ContentRecord[];
}

export interface PageResult {
  exported: number;
  skipped: number;
  failed: number;
  bytes: number;
  failures: ItemFailure[];
}

/** Attempts per file at transient trouble (network, 5xx) before the whole run is given up. */
const ATTEMPTS = 3;
/** Files in a row that were not in the target before a run stops asking (see SkipProbe). */
const MISSES_BEFORE_WRITING_BLIND = 8;

/**
 * Whether to ask the target (HEAD) before writing a file. A run asks until it has met 8 files in a
 * row that were not there, and then writes without asking: exports walk their files in one order,
 * so what an earlier run wrote (a re-run, a resumed page, a job that failed half-way) comes first,
 * and a HEAD per file would otherwise cost a fifth of the throughput of a fresh export. Writing a
 * file that was there after all only overwrites it with the same bytes under the same key.
 */
export class SkipProbe {
  #misses = 0;
  get asking(): boolean {
    return this.#misses < MISSES_BEFORE_WRITING_BLIND;
  }
  found(): void {
    this.#misses = 0;
  }
  missed(): void {
    this.#misses++;
  }
}

type Outcome = 'exported' | 'skipped' | 'gone' | { failed: string };

/**
 * Copies interactions to an export target: each content file streamed from the blob store
 * (checked against its recorded length and SHA-256 on the way), then the interaction's metadata
 * file. Up to `concurrency` files are in flight at once. A file already at its key with the same
 * SHA-256 is skipped. A file that cannot be exported for a reason of its own (damaged or missing
 * bytes) is counted as failed; trouble of the target or the storage (unreachable, refused) ends the
 * page with that error, for the job to retry or fail as a whole.
 */
export class InteractionExporter {
  constructor(
    private readonly deps: {
      blobs: Pick<BlobStore, 'get'>;
      store: Pick<MetadataReader, 'listContent'>;
      faults: Faults;
    },
    private readonly opts: { concurrency: number; retryBaseMs?: number },
  ) {}

  async exportPage(
    target: ExportTarget,
    entries: ExportEntry[],
    signal: AbortSignal,
    probe = new SkipProbe(),
  ): Promise<PageResult> {
    const result: PageResult = { exported: 0, skipped: 0, failed: 0, bytes: 0, failures: [] };
    // The first fatal error stops what has not started and aborts what is in flight.
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let fatal: { error: unknown } | undefined;
    const run = limiter(this.opts.concurrency);
    const guarded = <T>(fn: () => Promise<T>) =>
      run(async () => {
        stop.signal.throwIfAborted();
        return fn();
      }).catch((error: unknown) => {
        fatal ??= { error };
        stop.abort(error);
        throw error;
      });
    try {
      const tasks = entries.map(async ({ interaction, items }) => {
        const outcomes = await Promise.all(
          items.map((item) => guarded(() => this.#copyItem(target, interaction, item, stop.signal, probe))),
        );
        outcomes.forEach((outcome, i) => {
          if (outcome === 'gone') return;
          if (outcome === 'exported' || outcome === 'skipped') {
            result.exported++;
            if (outcome === 'skipped') result.skipped++;
            else result.bytes += items[i].length;
            return;
          }
          result.failed++;
          result.failures.push({
            guid: interaction.guid,
            contentKey: items[i].contentKey,
            error: outcome.failed,
            at: Date.now(),
          });
        });
        await guarded(() => this.#writeMetadata(target, interaction, stop.signal));
      });
      await Promise.allSettled(tasks);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (fatal) throw signal.aborted ? signal.reason : fatal.error;
    return result;
  }

  async #copyItem(
    target: ExportTarget,
    owner: InteractionWithContent,
    item: ContentRecord,
    signal: AbortSignal,
    probe: SkipProbe,
  ): Promise<Outcome> {
    const key = contentFileKey(item, owner.start);
    const outcome = await this.#retrying(signal, async (): Promise<Outcome> => {
      if (probe.asking) {
        const there = await target.head(key, signal);
        if (there && there.length === item.length && there.sha256 === item.sha256) {
          probe.found();
          return 'skipped' as const;
        }
        probe.missed();
      }
      let body: Readable | Buffer;
      try {
        body =
          item.length === 0
            ? Buffer.alloc(0)
            : verifiedBody(await this.deps.blobs.get(item.blobKey), {
                length: item.length,
                sha256: item.sha256,
              });
      } catch (err) {
        if (err instanceof BlobNotFoundError) return this.#missing(item);
        throw err;
      }
      try {
        await target.put(key, body, {
          length: item.length,
          contentType: isValidMediaType(item.mediaType) ? item.mediaType : 'application/octet-stream',
          sha256: item.sha256,
          signal,
        });
      } catch (err) {
        if (err instanceof ContentMismatchError) return { failed: err.message };
        if (err instanceof BlobNotFoundError) return this.#missing(item);
        throw err;
      }
      return 'exported' as const;
    }).catch((err: unknown): Outcome => {
      // The target's trouble, or a stop, ends the page; anything else is this file's own failure.
      if (signal.aborted || err instanceof TargetRejectedError || err instanceof StoreUnavailableError)
        throw err;
      return { failed: err instanceof Error ? err.message : String(err) };
    });
    this.deps.faults.hit('export.after-item');
    return outcome;
  }

  /** The blob is gone: deleted since the page was read (not exported, not a failure), or damage. */
  async #missing(item: ContentRecord): Promise<Outcome> {
    const now = await this.deps.store.listContent(item.account, item.guid);
    const still = now.some((c) => c.contentKey === item.contentKey && c.blobKey === item.blobKey);
    return still ? { failed: 'the stored file is missing from blob storage' } : 'gone';
  }

  async #writeMetadata(target: ExportTarget, i: InteractionWithContent, signal: AbortSignal): Promise<void> {
    const body = Buffer.from(JSON.stringify(wireInteraction(i)));
    const sha256 = createHash('sha256').update(body).digest('hex');
    const key = metadataKey(i.guid, i.start);
    // Small enough that writing it again costs less than asking whether it is there.
    await this.#retrying(signal, () =>
      target.put(key, body, { length: body.length, contentType: 'application/json', sha256, signal }),
    );
  }

  /** Runs `fn` again after transient trouble (StoreUnavailableError), with backoff; rethrows the last. */
  async #retrying<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof StoreUnavailableError) || attempt >= ATTEMPTS || signal.aborted) throw err;
        const ms = (this.opts.retryBaseMs ?? 500) * 2 ** (attempt - 1);
        await new Promise((resolve) => setTimeout(resolve, ms));
      }
    }
  }
}

/** Runs at most `n` of the functions given to it at once, in the order given. */
function limiter(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return <T>(fn: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const start = () => {
        active++;
        fn()
          .then(resolve, reject)
          .finally(() => {
            active--;
            waiting.shift()?.();
          });
      };
      if (active < n) start();
      else waiting.push(start);
    });
}
