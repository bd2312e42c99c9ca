import { isGuid } from '../core/guid.js';
import { parseTime } from '../core/time.js';
import { CONTENT_TYPES, type ContentTypeName, type Direction } from '../core/types.js';
import { isValidMediaType } from '../http/download-headers.js';

// The source's JSON (VCC's wire shape) read defensively: the source is another system, so every
// field is checked with the same limits ICS's own API applies, and a bad record is reported by
// name instead of being stored half-right.

export interface SourceItem {
  /** As the source spells it; the target canonicalises it the way its API does. */
  contentKey: string;
  type: ContentTypeName;
  mediaType: string;
  length: number;
  /** Epoch ms, when the source said. */
  lastModified: number | undefined;
  owningAgentId: string | undefined;
  owningInteractionPlanId: string | undefined;
  properties: Record<string, unknown>;
}

export interface SourceInteraction {
  guid: string;
  start: number;
  connectFrom: string;
  connectTo: string;
  direction: Direction;
  handlingAgents: string[];
  content: (SourceItem | InvalidItem)[];
}

export interface InvalidItem {
  invalid: string;
  contentKey: string;
}

export type ParsedInteraction =
  | { ok: true; value: SourceInteraction }
  | { ok: false; guid: string; problem: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, min: number, max: number) =>
  typeof v === 'string' && v.length >= min && v.length <= max ? v : undefined;

class Invalid extends Error {}
const need = <T>(value: T | undefined, problem: string): T => {
  if (value === undefined) throw new Invalid(problem);
  return value;
};

/** One interaction of a search page or a get. */
export function parseInteraction(raw: unknown): ParsedInteraction {
  const r = isObj(raw) ? raw : {};
  const guidText = typeof r.guid === 'string' ? r.guid : '(no guid)';
  try {
    if (!isObj(raw)) throw new Invalid('not a JSON object');
    const guid = need(isGuid(guidText) ? guidText.toLowerCase() : undefined, "'guid' is not a UUID");
    const start = need(
      typeof r.start === 'string' ? parseTime(r.start) : undefined,
      "'start' is not a date-time",
    );
    const connectFrom = need(text(r.connectFrom, 1, 255), "'connectFrom' must be 1 to 255 characters");
    const connectTo = need(text(r.connectTo, 1, 255), "'connectTo' must be 1 to 255 characters");
    const dir = typeof r.direction === 'string' ? r.direction.toLowerCase() : '';
    const direction = need(
      dir === 'inbound' || dir === 'outbound' ? (dir as Direction) : undefined,
      "'direction' must be inbound or outbound",
    );
    const agents = r.handlingAgents ?? [];
    if (!Array.isArray(agents) || agents.length > 100)
      throw new Invalid("'handlingAgents' must be a list of at most 100");
    const handlingAgents = agents.map((a) =>
      need(
        isObj(a) ? text(a.id, 1, 100) : undefined,
        "every handling agent needs an 'id' of 1 to 100 characters",
      ),
    );
    if (!Array.isArray(r.content)) throw new Invalid("'content' is not a list");
    const content = r.content.map(parseItem);
    return { ok: true, value: { guid, start, connectFrom, connectTo, direction, handlingAgents, content } };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, guid: guidText, problem: err.message };
    throw err;
  }
}

export function parseItem(raw: unknown): SourceItem | InvalidItem {
  const r = isObj(raw) ? raw : {};
  const contentKey = typeof r.contentKey === 'string' ? r.contentKey : '(no contentKey)';
  try {
    if (!isObj(raw)) throw new Invalid('not a JSON object');
    need(text(r.contentKey, 1, 36), "'contentKey' must be 1 to 36 characters");
    const type = need(
      CONTENT_TYPES.find((t) => t === r.type),
      `unknown content type '${String(r.type)}'`,
    );
    const length = need(
      Number.isSafeInteger(r.contentLength) && (r.contentLength as number) >= 0
        ? (r.contentLength as number)
        : undefined,
      "'contentLength' is not a whole number of bytes",
    );
    const lastModified = typeof r.lastModified === 'string' ? parseTime(r.lastModified) : undefined;
    const mediaType =
      typeof r.contentType === 'string' && isValidMediaType(r.contentType)
        ? r.contentType
        : 'application/octet-stream';
    const ref = (v: unknown, name: string) => {
      if (v === undefined || v === null) return undefined;
      return need(isObj(v) ? text(v.id, 1, 100) : undefined, `'${name}.id' must be 1 to 100 characters`);
    };
    return {
      contentKey,
      type,
      mediaType,
      length,
      lastModified,
      owningAgentId: ref(r.owningAgent, 'owningAgent'),
      owningInteractionPlanId: ref(r.owningInteractionPlan, 'owningInteractionPlan'),
      properties: isObj(r.properties) ? r.properties : {},
    };
  } catch (err) {
    if (err instanceof Invalid) return { invalid: err.message, contentKey };
    throw err;
  }
}

export const isInvalid = (i: SourceItem | InvalidItem): i is InvalidItem => 'invalid' in i;
