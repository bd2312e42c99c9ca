import { v7 as uuidv7 } from 'uuid';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { RequestContext } from './context.js';
import type { CursorCodec } from './cursor.js';
import { badRequest, interactionExists, interactionNotFound } from './errors.js';
import { parseGuid } from './guid.js';
import { accessOf, permittedItems } from './permissions.js';
import type {
  ContentAccess,
  Direction,
  InteractionRecord,
  InteractionWithContent,
  SearchFilters,
} from './types.js';

export interface NewInteraction {
  guid?: string;
  start: number;
  connectFrom: string;
  connectTo: string;
  direction: Direction;
  handlingAgents: string[];
}

export interface SearchParams extends Omit<SearchFilters, 'account'> {
  limit: number;
  continuationToken?: string;
  page?: number;
}

export type SearchResult =
  | { kind: 'v3'; items: InteractionWithContent[]; nextContinuationToken: string | null }
  | { kind: 'v2'; items: InteractionWithContent[]; page: number; pageCount: number; totalCount: number };

export class InteractionService {
  constructor(
    private readonly deps: { store: MetadataStore; cursors: CursorCodec },
    private readonly opts: { searchWindowMs: number },
  ) {}

  async create(ctx: RequestContext, input: NewInteraction): Promise<InteractionRecord> {
    const rec = {
      account: ctx.actor.account,
      guid: input.guid === undefined ? uuidv7() : parseGuid(input.guid),
      start: input.start,
      connectFrom: input.connectFrom,
      connectTo: input.connectTo,
      direction: input.direction,
      handlingAgents: input.handlingAgents,
      createdAt: Date.now(),
    };
    const inserted = await this.deps.store.transaction((tx) => tx.insertInteraction(rec));
    if (!inserted) throw interactionExists(rec.guid);
    return { ...rec, contentCount: 0, legalHold: null };
  }

  /**
   * An interaction with the content the caller may read; 404 when absent, another account's, or
   * without such content (VCC: an interaction without content is not shown).
   */
  async get(ctx: RequestContext, rawGuid: string): Promise<InteractionWithContent> {
    const guid = parseGuid(rawGuid);
    const found = await this.deps.store.getInteractionWithContent(ctx.actor.account, guid);
    const shown = found && readableView(accessOf(ctx.actor, 'read'), found);
    if (!shown || shown.content.length === 0) throw interactionNotFound(guid);
    return shown;
  }

  async search(ctx: RequestContext, version: 2 | 3, params: SearchParams): Promise<SearchResult> {
    if (params.end <= params.start)
      throw badRequest("Parameter 'end' must be after 'start'", 'invalid_window');
    const window = this.opts.searchWindowMs;
    if (window > 0 && params.end - params.start > window) {
      throw badRequest(
        `The window from 'start' to 'end' must not exceed ${window / 86_400_000} days`,
        'window_too_long',
      );
    }
    const filters: SearchFilters = {
      account: ctx.actor.account,
      start: params.start,
      end: params.end,
      handlingAgentId: params.handlingAgentId,
      connectFrom: params.connectFrom,
      connectTo: params.connectTo,
      direction: params.direction,
    };
    // Kept apart from the filters a continuation token is bound to (see SearchFilters.readable).
    const readable = accessOf(ctx.actor, 'read');
    const query = readable === undefined ? filters : { ...filters, readable };
    const shown = (rows: InteractionWithContent[]) =>
      readable === undefined ? rows : rows.map((r) => readableView(readable, r));
    if (version === 2) {
      const page = params.page ?? 1;
      const [items, totalCount] = await Promise.all([
        this.deps.store.search({ ...query, limit: params.limit, offset: (page - 1) * params.limit }),
        this.deps.store.count(query),
      ]);
      return {
        kind: 'v2',
        items: shown(items),
        page,
        pageCount: Math.ceil(totalCount / params.limit),
        totalCount,
      };
    }
    const after = params.continuationToken
      ? this.deps.cursors.decode(params.continuationToken, filters)
      : undefined;
    // One row more than asked tells whether another page exists without a count.
    const rows = await this.deps.store.search({ ...query, limit: params.limit + 1, after });
    const items = rows.slice(0, params.limit);
    const last = items[items.length - 1];
    const next =
      rows.length > params.limit && last
        ? this.deps.cursors.encode(filters, { start: last.start, guid: last.guid })
        : null;
    return { kind: 'v3', items: shown(items), nextContinuationToken: next };
  }
}

/** The interaction with only the items `access` lets the caller read. */
function readableView(
  access: ContentAccess | undefined,
  found: InteractionWithContent,
): InteractionWithContent {
  if (access === undefined) return found;
  const content = permittedItems(access, found.direction, found.content);
  return content.length === found.content.length ? found : { ...found, content };
}
