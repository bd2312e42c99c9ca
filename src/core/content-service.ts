import type { Readable } from 'node:stream';
import { v7 as uuidv7 } from 'uuid';
import type { BlobStore, ByteRange } from '../blobs/blob-store.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { parseContentKey, selectOne, uploadTarget } from './content-keys.js';
import { auditDraft, type RequestContext } from './context.js';
import {
  badRequest,
  contentNotFound,
  interactionNotFound,
  payloadTooLarge,
  tooManyUploads,
  unavailable,
} from './errors.js';
import type { EventRecorder } from './events.js';
import type { Faults } from './faults.js';
import { parseGuid } from './guid.js';
import { HashingStream } from './hashing-stream.js';
import { heldConflict } from './hold-visibility.js';
import { accessOf, permittedItems } from './permissions.js';
import type { Purger } from './purger.js';
import type { ContentRecord, NewPurgeEntry, PurgeEntry } from './types.js';

export interface UploadInput {
  /**
   * The bytes; or a function that opens them, called once the upload's intent is committed (so an
   * import's download holds its connection to the source only while bytes flow). What it throws,
   * the upload throws, with nothing kept.
   */
  body: Readable | (() => Promise<Readable>);
  mediaType: string;
  /** From Content-Length, when the client sent one. */
  expectedLength?: number;
  type?: string;
  owningAgentId?: string;
  owningInteractionPlanId?: string;
  /**
   * Kept from another system by `ics import` (the HTTP route never sets these): when the file was
   * stored there, and its properties. Default: now, and `{}`.
   */
  lastModified?: number;
  properties?: Record<string, unknown>;
}

/** How long an upload may run before its reserved blob key is treated as abandoned. */
const UPLOAD_INTENT_MS = 6 * 60 * 60 * 1000;

/** Intents committed together at most (one multi-row INSERT). */
const MAX_INTENT_GROUP = 64;

export class ContentService {
  /** Uploads in flight on this node, per account. */
  readonly #uploading = new Map<string, number>();
  /** Upload intents waiting for the next grouped commit (#reserve). */
  readonly #intents: {
    entry: NewPurgeEntry;
    resolve: (intent: PurgeEntry) => void;
    reject: (err: unknown) => void;
  }[] = [];
  #reserving: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      store: MetadataStore;
      blobs: BlobStore;
      purger: Purger;
      faults: Faults;
      events: EventRecorder;
      /** This process's node: its upload intents name it, so only its death frees them. */
      node: { readonly id: string };
    },
    private readonly opts: { maxUploadBytes: number; maxConcurrentUploadsPerAccount?: number },
  ) {}

  /**
   * The content item a GET/HEAD addresses; 404 when it or its interaction is absent, and when the
   * caller may not read it (as if it did not exist: get and search do not show it either).
   */
  async find(ctx: RequestContext, rawGuid: string, rawKey: string): Promise<ContentRecord> {
    const guid = parseGuid(rawGuid);
    const target = parseContentKey(rawKey);
    const access = accessOf(ctx.actor, 'read');
    let items: ContentRecord[];
    if (access === undefined) items = await this.deps.store.listContent(ctx.actor.account, guid);
    else {
      // The direction is the interaction's: one joined read instead of the content list alone.
      const found = await this.deps.store.getInteractionWithContent(ctx.actor.account, guid);
      items = found ? permittedItems(access, found.direction, found.content) : [];
    }
    if (items.length === 0) throw interactionNotFound(guid);
    const item = selectOne(target, items);
    if (!item) throw contentNotFound(guid, rawKey);
    return item;
  }

  read(item: ContentRecord, range?: ByteRange): Promise<Readable> {
    return this.deps.blobs.get(item.blobKey, range);
  }

  /**
   * Stores the body under a fresh blob key, then commits the row. The key is reserved in the purge
   * queue first, so a crash mid-upload leaves a queue entry that erases the partial blob, never an
   * orphan; a replaced item's old blob is queued in the same transaction that swaps the rows.
   */
  async upload(
    ctx: RequestContext,
    rawGuid: string,
    rawKey: string,
    input: UploadInput,
  ): Promise<{ item: ContentRecord; created: boolean }> {
    // Each upload holds a connection, a file or multipart upload and buffers for as long as its
    // client sends: one account may not hold more than its share of them on a node.
    const account = ctx.actor.account;
    const running = this.#uploading.get(account) ?? 0;
    const limit = this.opts.maxConcurrentUploadsPerAccount ?? Number.POSITIVE_INFINITY;
    if (running >= limit) throw tooManyUploads(limit);
    this.#uploading.set(account, running + 1);
    try {
      return await this.#upload(ctx, rawGuid, rawKey, input);
    } finally {
      const left = (this.#uploading.get(account) ?? 1) - 1;
      if (left === 0) this.#uploading.delete(account);
      else this.#uploading.set(account, left);
    }
  }

  async #upload(
    ctx: RequestContext,
    rawGuid: string,
    rawKey: string,
    input: UploadInput,
  ): Promise<{ item: ContentRecord; created: boolean }> {
    const guid = parseGuid(rawGuid);
    const target = uploadTarget(parseContentKey(rawKey), input.type);
    const { contentKey, type } = target;
    const account = ctx.actor.account;
    if (input.expectedLength !== undefined && input.expectedLength > this.opts.maxUploadBytes) {
      throw payloadTooLarge(this.opts.maxUploadBytes);
    }
    // The interaction is looked up while the intent commits (both before a byte of the body is
    // read): on PostgreSQL they are two round trips on two connections, not one after the other.
    // An absent interaction costs the intent's removal, and answers 404 as before.
    const blobKey = `${account}/${guid}/${uuidv7()}`;
    const [found, reserved] = await Promise.allSettled([
      this.deps.store.getInteraction(account, guid),
      this.#reserve({
        account,
        blobKey,
        notBefore: Date.now() + UPLOAD_INTENT_MS,
        reason: 'upload-intent',
        ownerNode: this.deps.node.id,
      }),
    ]);
    if (found.status === 'rejected' || !found.value) {
      if (reserved.status === 'fulfilled') await this.#abandon(reserved.value.id, blobKey);
      throw found.status === 'rejected' ? found.reason : interactionNotFound(guid);
    }
    if (reserved.status === 'rejected') throw reserved.reason;
    const intent = reserved.value;
    this.deps.faults.hit('upload.after-intent');
    const hasher = new HashingStream({
      maxBytes: this.opts.maxUploadBytes,
      expectedLength: input.expectedLength,
    });
    try {
      const body = typeof input.body === 'function' ? await input.body() : input.body;
      const writing = this.deps.blobs.put(blobKey, hasher);
      await Promise.all([feed(body, hasher), writing]);
    } catch (err) {
      await this.#abandon(intent.id, blobKey);
      throw err;
    }
    this.deps.faults.hit('upload.after-blob');

    const now = Date.now();
    const item: ContentRecord = {
      account,
      guid,
      contentKey,
      type,
      mediaType: input.mediaType,
      length: hasher.length,
      sha256: hasher.sha256,
      blobKey,
      lastModified: input.lastModified ?? now,
      owningAgentId: input.owningAgentId ?? target.owningAgentId ?? null,
      owningInteractionPlanId: input.owningInteractionPlanId ?? null,
      properties: input.properties ?? {},
    };
    let replaced: ContentRecord | undefined;
    let purge: PurgeEntry[] = [];
    try {
      const result = await this.deps.store.transaction(async (tx) => {
        // The reservation must still be ours: if this node was taken for dead (it stalled past the
        // node timeout), a purge worker may be erasing the blob, and the row must not commit. Its
        // removal goes out behind the interaction's lock and listing (one round trip on
        // PostgreSQL); a refusal below rolls it back with the transaction, and #abandon erases.
        const [{ interaction, content }, taken] = await Promise.all([
          tx.lockInteractionWithContent(account, guid),
          tx.takeUploadIntent(intent),
        ]);
        if (!interaction) throw interactionNotFound(guid);
        const old = content.find((c) => c.contentKey === contentKey);
        if (old && interaction.legalHold) throw heldConflict(ctx, guid, interaction.legalHold);
        if (!taken)
          throw unavailable('The upload took too long and its reservation was released; send it again');
        // HTTP dates have whole seconds: two versions within one second would share Last-Modified,
        // and a client's If-Range date could then splice bytes of both. The new one moves on to the
        // next second instead, so each version's date names it alone.
        if (old && Math.floor(old.lastModified / 1000) >= Math.floor(item.lastModified / 1000))
          item.lastModified = (Math.floor(old.lastModified / 1000) + 1) * 1000;
        // A new item under the lock is not waited for on PostgreSQL: it goes out with the outbox
        // row and COMMIT.
        const prev = await tx.putContent(item);
        await this.deps.events.record(tx, [
          {
            type: 'interaction-content.added.v1',
            account,
            subject: guid,
            at: now,
            data: {
              account,
              guid,
              contentKey,
              type,
              mediaType: item.mediaType,
              length: item.length,
              sha256: item.sha256,
              replaced: prev !== undefined,
            },
          },
        ]);
        if (!prev) return { prev, entries: [] as PurgeEntry[] };
        // Not awaited: it commits with the transaction (or fails its commit), and nobody reads it.
        tx.appendAudit(
          account,
          auditDraft(ctx, { at: now, action: 'content.replace', guid, reason: 'api', item: prev }),
        );
        const entries = await tx.enqueuePurge([
          { account, blobKey: prev.blobKey, notBefore: now, reason: 'replace' },
        ]);
        return { prev, entries };
      });
      replaced = result.prev;
      purge = result.entries;
    } catch (err) {
      await this.#abandon(intent.id, blobKey);
      throw err;
    }
    this.deps.faults.hit('upload.after-commit');
    // On failure the old blob stays queued and the purge loop erases it later.
    if (purge.length > 0) await this.deps.purger.purge(purge).catch(() => undefined);
    return { item, created: replaced === undefined };
  }

  /**
   * Commits an upload intent, grouped: the intents of uploads that arrive while one commit runs go
   * into the next commit together, so concurrent uploads share commits (each an fsync) instead of
   * queueing for one each. The first upload waits for no one. Each upload still has its own intent
   * committed before its first byte is stored.
   */
  #reserve(entry: NewPurgeEntry): Promise<PurgeEntry> {
    return new Promise((resolve, reject) => {
      this.#intents.push({ entry, resolve, reject });
      this.#reserving ??= this.#commitIntents();
    });
  }

  async #commitIntents(): Promise<void> {
    while (this.#intents.length > 0) {
      const group = this.#intents.splice(0, MAX_INTENT_GROUP);
      try {
        const rows = await this.deps.store.transaction((tx) => tx.enqueuePurge(group.map((g) => g.entry)));
        for (const [i, g] of group.entries()) g.resolve(rows[i]);
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.#reserving = undefined;
  }

  /** Erases a failed upload's blob at once; if that fails, the queued intent erases it later. */
  async #abandon(intentId: string, blobKey: string) {
    try {
      await this.deps.blobs.delete(blobKey);
      await this.deps.store.completePurge([intentId]);
    } catch {
      // The intent entry remains and the purge loop retries when it comes due.
    }
  }
}

/**
 * Pipes the request body into the hasher without tying their fates together: a failing upload (too
 * large, storage error) must not destroy the request socket, or the client would never see the 4xx.
 * A client that disconnects early fails the hasher, and so the upload.
 */
function feed(source: Readable, sink: HashingStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      source.unpipe(sink);
      sink.destroy(err);
      reject(err);
    };
    // A stream's own error passes through as it is (the HTTP layer tells a client that went away
    // from a failure); a stream that closes before its end is an aborted upload.
    const aborted = () => badRequest('The upload was aborted before its body ended', 'upload_aborted');
    // A body that failed or closed before the upload got to it (while its intent was committed)
    // emits nothing more: its state says what happened.
    if (source.errored) return fail(source.errored);
    if (source.destroyed && !source.readableEnded) return fail(aborted());
    source.once('error', fail);
    source.once('close', () => {
      if (!source.readableEnded) fail(aborted());
    });
    sink.once('error', reject);
    sink.once('finish', resolve);
    source.pipe(sink);
  });
}
