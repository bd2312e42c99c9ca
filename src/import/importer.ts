import { setMaxListeners } from 'node:events';
import type { Readable } from 'node:stream';
import { parseContentKey, uploadTarget } from '../core/content-keys.js';
import type { ContentService } from '../core/content-service.js';
import type { RequestContext } from '../core/context.js';
import { isAppError, StoreUnavailableError } from '../core/errors.js';
import type { InteractionService } from '../core/interaction-service.js';
import type { ContentRecord, InteractionWithContent } from '../core/types.js';
import { DownloadSlots } from './download-slots.js';
import {
  emptySummary,
  type ImportEvent,
  type ImportSummary,
  type ItemStatus,
  MAX_LISTED_FAILURES,
} from './import-events.js';
import { type RetryContext, retrying } from './retry.js';
import type { ContentSource, SourceDownload } from './source-client.js';
import { SourceError } from './source-error.js';
import {
  isInvalid,
  type ParsedInteraction,
  type SourceInteraction,
  type SourceItem,
} from './source-records.js';

export interface ImportOptions {
  /** Who writes in the target (its account, and the ledger's actor for replacements). */
  ctx: RequestContext;
  /** Interactions starting in [start, end). */
  start: number;
  end: number;
  /** The source's longest search window (VCC: 7 days). */
  sliceMs: number;
  /** Downloads in flight at once (twice as many interactions are worked on, see Importer). */
  concurrency: number;
  /**
   * Uploads open at once in this process, at most: the target's per-account limit
   * (`ICS_MAX_CONCURRENT_UPLOADS`), which refuses any upload beyond it. Default: no bound.
   */
  maxUploads?: number;
}

export interface ImportHooks {
  onEvent?(event: ImportEvent): void;
  /** Bytes received from the source, as they arrive (for the transfer rate). */
  onBytes?(n: number): void;
}

/** The windows of at most `sliceMs` that cover [start, end), in order. */
export function timeSlices(start: number, end: number, sliceMs: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let s = start; s < end; s += sliceMs) out.push({ start: s, end: Math.min(end, s + sliceMs) });
  return out;
}

/**
 * Copies every interaction of a window, with its content, from an Interaction Content API server
 * into this one, through the same services the API uses (so every upload is crash-safe: a blob
 * without its committed row is erased by the purge queue). It keeps GUIDs, metadata and content
 * keys, and skips what is already there, so running it again resumes where it stopped.
 *
 * It walks the window twice: first counting (searches only), so progress has totals; then copying,
 * the files of one interaction at the same time, with `concurrency` downloads in flight. A download
 * gives its slot back once its body has arrived, while its file is fsynced and its row committed, so
 * twice as many interactions are worked on as there are slots: one waits for the disk while another
 * downloads. Uploads open at once stay within `maxUploads` (the target refuses more).
 */
export class Importer {
  readonly #summary = emptySummary();
  readonly #slots: DownloadSlots;
  /** Uploads open (from the intent's commit to the row's): bounded by the target's limit. */
  readonly #uploads: DownloadSlots;

  constructor(
    private readonly deps: {
      source: ContentSource;
      interactions: InteractionService;
      content: ContentService;
      store: {
        getInteractionWithContent(account: string, guid: string): Promise<InteractionWithContent | undefined>;
      };
      retry: RetryContext;
    },
    private readonly opts: ImportOptions,
    private readonly hooks: ImportHooks = {},
  ) {
    this.#slots = new DownloadSlots(opts.concurrency);
    this.#uploads = new DownloadSlots(opts.maxUploads ?? Number.POSITIVE_INFINITY);
  }

  async run(signal?: AbortSignal): Promise<ImportSummary> {
    const t0 = Date.now();
    const stop = new AbortController();
    const halt = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    // Every request, backoff and wait for a slot in flight listens to it: a few per file in flight,
    // and an interaction's files are all in flight at once, however many it has. Each listener goes
    // when its wait ends, so there is no count to warn at.
    setMaxListeners(0, halt);
    const s = this.#summary;
    const fatal = (err: unknown) => {
      if (signal?.aborted) return;
      s.fatal ??= err instanceof Error ? err.message : String(err);
      stop.abort();
    };
    try {
      await this.#scan(halt);
      const walk = this.#walk(halt);
      const worker = async () => {
        while (!halt.aborted) {
          let next: IteratorResult<ParsedInteraction>;
          try {
            next = await walk.next();
          } catch (err) {
            return fatal(err);
          }
          if (next.done) return;
          try {
            await this.#interaction(next.value, halt);
          } catch (err) {
            if (halt.aborted) return;
            // The target's database is down: every further write would fail too.
            if (err instanceof StoreUnavailableError) return fatal(err);
            const guid = next.value.ok ? next.value.value.guid : next.value.guid;
            const message = err instanceof Error ? err.message : String(err);
            s.interactions.failed++;
            this.#fail(guid, undefined, message);
            this.hooks.onEvent?.({ type: 'interaction', guid, status: 'failed', message });
          }
        }
      };
      await Promise.all(Array.from({ length: 2 * this.opts.concurrency }, worker));
    } catch (err) {
      fatal(err);
    }
    s.interrupted = signal?.aborted === true;
    s.seconds = (Date.now() - t0) / 1000;
    return s;
  }

  async #scan(signal: AbortSignal) {
    const s = this.#summary;
    for await (const parsed of this.#walk(signal)) {
      s.interactions.total++;
      if (!parsed.ok) continue;
      for (const item of parsed.value.content) {
        s.items.total++;
        if (!isInvalid(item)) s.bytes.total += item.length;
      }
      if (s.interactions.total % 1000 === 0) this.#emitScan(false);
    }
    this.#emitScan(true);
  }

  #emitScan(done: boolean) {
    const s = this.#summary;
    this.hooks.onEvent?.({
      type: 'scan',
      interactions: s.interactions.total,
      items: s.items.total,
      bytes: s.bytes.total,
      done,
    });
  }

  /** Every interaction of the window, slice by slice and page by page. */
  async *#walk(signal: AbortSignal): AsyncGenerator<ParsedInteraction> {
    for (const slice of timeSlices(this.opts.start, this.opts.end, this.opts.sliceMs)) {
      let token: string | undefined;
      do {
        const page = await this.deps.source.search(slice, token, signal);
        yield* page.items;
        token = page.next ?? undefined;
      } while (token && !signal.aborted);
    }
  }

  async #interaction(parsed: ParsedInteraction, signal: AbortSignal) {
    const s = this.#summary;
    const { ctx } = this.opts;
    if (!parsed.ok) {
      s.interactions.failed++;
      this.#fail(parsed.guid, undefined, `the source's record is invalid: ${parsed.problem}`);
      this.hooks.onEvent?.({
        type: 'interaction',
        guid: parsed.guid,
        status: 'failed',
        message: parsed.problem,
      });
      return;
    }
    const src = parsed.value;
    let target = await this.#target(src.guid);
    if (target) {
      s.interactions.existing++;
      const differs = metadataDifference(src, target);
      if (differs)
        this.hooks.onEvent?.({
          type: 'interaction',
          guid: src.guid,
          status: 'metadata-differs',
          message: `the target's interaction differs in ${differs}; kept the target's`,
        });
    } else {
      try {
        await this.deps.interactions.create(ctx, {
          guid: src.guid,
          start: src.start,
          connectFrom: src.connectFrom,
          connectTo: src.connectTo,
          direction: src.direction,
          handlingAgents: src.handlingAgents,
        });
        s.interactions.created++;
      } catch (err) {
        // Created meanwhile by another writer: carry on with what is there.
        if (!isAppError(err) || err.code !== 'interaction_exists') throw err;
        s.interactions.existing++;
        target = await this.#target(src.guid);
      }
    }
    const have = new Map((target?.content ?? []).map((c) => [c.contentKey, c]));
    // The files of an interaction are copied at the same time: the small ones (a transcript, a
    // summary) then wait for their fsyncs and commits beside the recording's, not after it. Items
    // that would land under the same key in the target still go one after another, in listed order.
    const chains = new Map<string, Promise<void>>();
    for (const item of src.content) {
      if (signal.aborted) break;
      if (isInvalid(item)) {
        this.#item(src.guid, item.contentKey, 'failed', 0, `the source's item is invalid: ${item.invalid}`);
        continue;
      }
      const key = safeKey(item) ?? item.contentKey;
      const before = chains.get(key) ?? Promise.resolve();
      chains.set(
        key,
        before.then(() => (signal.aborted ? undefined : this.#copyItem(src.guid, item, have, signal))),
      );
    }
    // All of them settle before the worker moves on; the first failure (the target is down) is thrown.
    for (const r of await Promise.allSettled(chains.values())) if (r.status === 'rejected') throw r.reason;
  }

  #target(guid: string) {
    return this.deps.store.getInteractionWithContent(this.opts.ctx.actor.account, guid);
  }

  async #copyItem(guid: string, listed: SourceItem, have: Map<string, ContentRecord>, signal: AbortSignal) {
    let key: string;
    try {
      key = uploadTarget(parseContentKey(listed.contentKey), listed.type).contentKey;
    } catch (err) {
      return this.#item(
        guid,
        listed.contentKey,
        'failed',
        listed.length,
        `cannot keep this key: ${(err as Error).message}`,
      );
    }
    const existing = have.get(key);
    if (existing && isSame(existing, listed)) return this.#item(guid, key, 'skipped', listed.length);
    let item = listed;
    for (let refreshed = false; ; refreshed = true) {
      try {
        const created = await retrying('download', { ...this.deps.retry, signal }, () =>
          this.#transfer(guid, item, signal),
        );
        return this.#item(guid, key, created ? 'copied' : 'replaced', item.length);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof StoreUnavailableError) throw err;
        // Gone, or changed since the listing: read the interaction again, once.
        const stale =
          err instanceof SourceError && (err.status === 404 || (err.kind === 'length' && !err.retryable));
        if (stale && !refreshed) {
          const fresh = await this.#fresh(guid, key, signal);
          if (fresh === 'gone') return this.#item(guid, key, 'vanished', item.length);
          if (fresh && (fresh.length !== item.length || fresh.lastModified !== item.lastModified)) {
            item = fresh;
            continue;
          }
        }
        return this.#item(guid, key, 'failed', item.length, (err as Error).message);
      }
    }
  }

  /** The item as the source lists it now; 'gone' when it (or its interaction) no longer exists. */
  async #fresh(guid: string, key: string, signal: AbortSignal): Promise<SourceItem | 'gone' | undefined> {
    const again = await this.deps.source.get(guid, signal).catch(() => null);
    if (again === null) return undefined;
    if (!again) return 'gone';
    if (!again.ok) return undefined;
    const found = again.value.content.find((c) => !isInvalid(c) && safeKey(c) === key) as
      | SourceItem
      | undefined;
    return found ?? 'gone';
  }

  /**
   * One attempt: download and upload in one stream. true when the target had no item under the key.
   * The download starts only once the upload's intent is committed (the upload opens the body), and
   * holds a slot until its body has arrived: the fsyncs and the commit after it leave the slot free.
   */
  async #transfer(guid: string, item: SourceItem, signal: AbortSignal): Promise<boolean> {
    let body: SourceDownload['body'] | undefined;
    const open = async () => {
      const release = await this.#slots.acquire(signal);
      let dl: SourceDownload;
      try {
        dl = await this.deps.source.download(guid, item.contentKey, { signal, onBytes: this.hooks.onBytes });
      } catch (err) {
        release();
        throw err;
      }
      body = dl.body;
      dl.body.once('end', release);
      dl.body.once('close', release);
      // A dropped connection fails the body even if no one reads it yet; the upload finds the error
      // in the stream's state (content-service feed()).
      dl.body.once('error', release);
      if (dl.contentLength !== undefined && dl.contentLength !== item.length) {
        throw new SourceError({
          kind: 'length',
          retryable: false,
          message: `the download's Content-Length ${dl.contentLength} differs from the listed contentLength ${item.length}`,
        });
      }
      return dl.body as unknown as Readable;
    };
    const done = await this.#uploads.acquire(signal);
    try {
      const { created } = await this.deps.content.upload(this.opts.ctx, guid, item.contentKey, {
        body: open,
        mediaType: item.mediaType,
        expectedLength: item.length,
        type: item.type,
        owningAgentId: item.owningAgentId,
        owningInteractionPlanId: item.owningInteractionPlanId,
        lastModified: item.lastModified,
        properties: item.properties,
      });
      return created;
    } catch (err) {
      body?.destroy();
      // The bytes that arrived did not add up to the listed length: the source's fault, worth a retry.
      if (isAppError(err) && err.code === 'truncated_body')
        throw new SourceError({
          kind: 'length',
          retryable: true,
          message: `the source sent a short or long file (${err.message})`,
        });
      throw err;
    } finally {
      done();
    }
  }

  #item(guid: string, contentKey: string, status: ItemStatus, bytes: number, message?: string) {
    const s = this.#summary;
    s.items[status]++;
    if (status === 'copied' || status === 'replaced') s.bytes.copied += bytes;
    if (status === 'failed') this.#fail(guid, contentKey, message ?? 'failed');
    this.hooks.onEvent?.({ type: 'item', guid, contentKey, status, bytes, ...(message && { message }) });
  }

  #fail(guid: string, contentKey: string | undefined, message: string) {
    const list = this.#summary.failures;
    if (list.length < MAX_LISTED_FAILURES) list.push({ guid, ...(contentKey && { contentKey }), message });
  }
}

/** "Already there": the same length and, when the source gives one, the same lastModified. */
function isSame(existing: ContentRecord, listed: SourceItem): boolean {
  return (
    existing.length === listed.length &&
    (listed.lastModified === undefined || existing.lastModified === listed.lastModified)
  );
}

function safeKey(item: SourceItem): string | undefined {
  try {
    return uploadTarget(parseContentKey(item.contentKey), item.type).contentKey;
  } catch {
    return undefined;
  }
}

/** The first field in which the target's interaction differs from the source's, or undefined. */
function metadataDifference(src: SourceInteraction, target: InteractionWithContent): string | undefined {
  if (Math.floor(src.start / 1000) !== Math.floor(target.start / 1000)) return 'start';
  if (src.connectFrom !== target.connectFrom) return 'connectFrom';
  if (src.connectTo !== target.connectTo) return 'connectTo';
  if (src.direction !== target.direction) return 'direction';
  if (src.handlingAgents.join('\n') !== target.handlingAgents.join('\n')) return 'handlingAgents';
  return undefined;
}
