import { badRequest } from './errors.js';
import {
  CONTENT_TYPES,
  type ContentRecord,
  type ContentTypeName,
  NAMED_TYPES,
  TYPE_NAME_KEYS,
} from './types.js';

/** What a `{contentKey}` path segment addresses. */
export type KeyTarget =
  | { kind: 'named'; type: ContentTypeName }
  | { kind: 'typeName'; type: ContentTypeName }
  /** `voicemail-<agentId>`: `key` is its canonical stored form (lower-case prefix, agent id as given). */
  | { kind: 'legacyVoicemail'; agentId: string; key: string }
  | { kind: 'unique'; key: string };

const LEGACY_PREFIX = 'voicemail-';
const KEY_CHARS = /^[0-9a-zA-Z!\-_.,*'()]{1,36}$/;
const byLowerName = new Map(CONTENT_TYPES.map((t) => [t.toLowerCase(), t]));

/**
 * Parses a content key by VCC's rules: 1–36 characters from `0-9 a-z A-Z ! - _ . , * ' ( )`.
 * Named keys and type-name keys match case-insensitively; unique ids are case-insensitive too and
 * canonicalised to lower case (like GUIDs). `.` and `..` are refused although the charset allows
 * them: no client needs them and they look like path segments.
 */
export function parseContentKey(raw: string): KeyTarget {
  if (!KEY_CHARS.test(raw) || raw === '.' || raw === '..') {
    throw badRequest(
      "Content key must be 1 to 36 characters from 0-9 a-z A-Z ! - _ . , * ' ( )",
      'invalid_content_key',
    );
  }
  const lower = raw.toLowerCase();
  const type = byLowerName.get(lower);
  if (type && NAMED_TYPES.includes(type)) return { kind: 'named', type };
  if (type && TYPE_NAME_KEYS.includes(type)) return { kind: 'typeName', type };
  if (lower.startsWith(LEGACY_PREFIX) && lower.length > LEGACY_PREFIX.length) {
    const agentId = raw.slice(LEGACY_PREFIX.length);
    return { kind: 'legacyVoicemail', agentId, key: `${LEGACY_PREFIX}${agentId}` };
  }
  return { kind: 'unique', key: lower };
}

/**
 * The items a key addresses among an interaction's content (for DELETE: every one of them). A legacy
 * key `voicemail-<agentId>` addresses the item stored under that literal key when there is one (data
 * migrated from VCC keeps such keys); only when there is none does it mean "the voicemails owned by
 * that agent".
 */
export function selectContent(target: KeyTarget, items: readonly ContentRecord[]): ContentRecord[] {
  switch (target.kind) {
    case 'named':
      return items.filter((i) => i.contentKey === target.type);
    case 'typeName':
      return items.filter((i) => i.type === target.type);
    case 'legacyVoicemail': {
      const exact = items.filter((i) => i.contentKey === target.key);
      if (exact.length > 0) return exact;
      return items.filter((i) => i.type === 'voicemail' && i.owningAgentId === target.agentId);
    }
    case 'unique':
      return items.filter((i) => i.contentKey === target.key);
  }
}

/**
 * The one item a GET addresses. A type-name or legacy key that matches several items is ambiguous:
 * 400 naming the unique ids to use instead.
 */
export function selectOne(target: KeyTarget, items: readonly ContentRecord[]): ContentRecord | undefined {
  const found = selectContent(target, items);
  if (found.length > 1) {
    throw badRequest(
      `Content key matches ${found.length} items; use one of their unique ids: ${found.map((i) => i.contentKey).join(', ')}`,
      'ambiguous_content_key',
    );
  }
  return found[0];
}

/**
 * The stored key and type of an upload. Named types are uploaded under their own key; a legacy
 * `voicemail-<agentId>` key holds a voicemail (owned by that agent unless the upload names another);
 * every other type goes under a unique id with `type` given.
 */
export function uploadTarget(
  target: KeyTarget,
  typeParam: string | undefined,
): { contentKey: string; type: ContentTypeName; owningAgentId?: string } {
  if (target.kind === 'legacyVoicemail') {
    if (typeParam !== undefined && typeParam !== 'voicemail') {
      throw badRequest(
        `Content key '${target.key}' is a legacy voicemail key: its type is 'voicemail', not '${typeParam}'`,
        'invalid_type',
      );
    }
    return { contentKey: target.key, type: 'voicemail', owningAgentId: target.agentId };
  }
  if (target.kind === 'named') {
    if (typeParam !== undefined && typeParam !== target.type) {
      throw badRequest(
        `Content key '${target.type}' holds type '${target.type}', not '${typeParam}'`,
        'invalid_type',
      );
    }
    return { contentKey: target.type, type: target.type };
  }
  if (target.kind !== 'unique') {
    throw badRequest(
      'Upload non-named content under a unique id (or a legacy voicemail-<agentId> key), with the type query parameter',
      'invalid_content_key',
    );
  }
  if (typeParam === undefined)
    throw badRequest("Query parameter 'type' is required for a unique-id key", 'invalid_type');
  const type = CONTENT_TYPES.find((t) => t === typeParam);
  if (!type)
    throw badRequest(
      `Unknown content type '${typeParam}'; expected one of ${CONTENT_TYPES.join(', ')}`,
      'invalid_type',
    );
  if (NAMED_TYPES.includes(type)) {
    throw badRequest(`Type '${type}' is stored under its named key '${type}'`, 'invalid_type');
  }
  if (byLowerName.has(target.key))
    throw badRequest(`'${target.key}' is reserved as a type name`, 'invalid_content_key');
  return { contentKey: target.key, type };
}
