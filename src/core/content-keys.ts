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
  | { kind: 'legacyVoicemail'; agentId: string }
  | { kind: 'unique'; key: string };

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
  if (lower.startsWith('voicemail-') && lower.length > 'voicemail-'.length) {
    return { kind: 'legacyVoicemail', agentId: raw.slice('voicemail-'.length) };
  }
  return { kind: 'unique', key: lower };
}

/** The items a key addresses among an interaction's content (for DELETE: every one of them). */
export function selectContent(target: KeyTarget, items: readonly ContentRecord[]): ContentRecord[] {
  switch (target.kind) {
    case 'named':
      return items.filter((i) => i.contentKey === target.type);
    case 'typeName':
      return items.filter((i) => i.type === target.type);
    case 'legacyVoicemail':
      return items.filter((i) => i.type === 'voicemail' && i.owningAgentId === target.agentId);
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
 * The stored key and type of an upload. Named types are uploaded under their own key; every other
 * type under a unique id with `type` given.
 */
export function uploadTarget(
  target: KeyTarget,
  typeParam: string | undefined,
): { contentKey: string; type: ContentTypeName } {
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
      'Upload non-named content under a unique id, with the type query parameter',
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
