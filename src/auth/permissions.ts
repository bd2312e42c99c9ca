import { badRequest } from '../core/errors.js';
import { normalizePermissions } from '../core/permissions.js';
import {
  CONTENT_TYPES,
  type ContentAccess,
  type ContentPermissions,
  type ContentTypeName,
  DIRECTIONS,
  type Direction,
} from '../core/types.js';

// Client content permissions as administrators write them: the CLI's `--read-types` & co. and the
// client-admin API's `permissions` object. Every problem is a 400 naming the field, raised before
// anything is stored. Names match case-insensitively and are stored canonically.

const TYPE_BY_LOWER = new Map(CONTENT_TYPES.map((t) => [t.toLowerCase(), t]));
const SIDES = ['read', 'delete'] as const;
const LISTS = ['types', 'directions'] as const;

const invalid = (message: string) => badRequest(message, 'invalid_permissions');

/** Canonical content types or directions from names; 400 naming `field` and the unknown names. */
export function parseNames(field: string, list: 'types', names: readonly string[]): ContentTypeName[];
export function parseNames(field: string, list: 'directions', names: readonly string[]): Direction[];
export function parseNames(field: string, list: 'types' | 'directions', names: readonly string[]) {
  if (names.length === 0)
    throw invalid(`${field} must name at least one ${list === 'types' ? 'content type' : 'direction'}`);
  const known = (n: string) =>
    list === 'types' ? TYPE_BY_LOWER.get(n.toLowerCase()) : DIRECTIONS.find((d) => d === n.toLowerCase());
  const unknown = names.filter((n) => known(n) === undefined);
  if (unknown.length > 0) {
    const expected = list === 'types' ? CONTENT_TYPES : DIRECTIONS;
    throw invalid(
      `${field}: unknown ${list === 'types' ? 'content type' : 'direction'}${unknown.length > 1 ? 's' : ''} ` +
        `${unknown.map((n) => `'${n}'`).join(', ')}; expected ${expected.join(', ')}`,
    );
  }
  return [...new Set(names.map((n) => known(n)!))];
}

/**
 * A CLI list: names separated by commas or spaces, or `all` for no restriction (undefined). An empty
 * list is refused: a client that may read nothing should not have the read scope instead.
 */
export function parseNameList(field: string, list: 'types', text: string): ContentTypeName[] | undefined;
export function parseNameList(field: string, list: 'directions', text: string): Direction[] | undefined;
export function parseNameList(field: string, list: 'types' | 'directions', text: string) {
  const names = text.split(/[\s,]+/).filter((n) => n !== '');
  if (names.length === 1 && names[0].toLowerCase() === 'all') return undefined;
  if (names.length === 0) throw invalid(`${field} must name at least one value, or 'all'`);
  return list === 'types' ? parseNames(field, 'types', names) : parseNames(field, 'directions', names);
}

/**
 * The client-admin API's `permissions` object:
 * `{"read": {"types": [...], "directions": [...]}, "delete": {...}}`; an absent or null side or list
 * is unrestricted. Unknown fields are refused, so a typo cannot silently leave a client unrestricted.
 */
export function parsePermissionsBody(raw: unknown, field = 'permissions'): ContentPermissions {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) throw invalid(`${field} must be an object with 'read' and/or 'delete'`);
  const out: { -readonly [K in keyof ContentPermissions]: ContentAccess } = {};
  for (const key of Object.keys(raw)) {
    if (!(SIDES as readonly string[]).includes(key))
      throw invalid(`${field}: unknown field '${key}'; expected 'read' or 'delete'`);
  }
  for (const side of SIDES) {
    const value = raw[side];
    if (value === undefined || value === null) continue;
    const path = `${field}.${side}`;
    if (!isPlainObject(value)) throw invalid(`${path} must be an object with 'types' and/or 'directions'`);
    for (const key of Object.keys(value)) {
      if (!(LISTS as readonly string[]).includes(key))
        throw invalid(`${path}: unknown field '${key}'; expected 'types' or 'directions'`);
    }
    const access: { types?: ContentTypeName[]; directions?: Direction[] } = {};
    for (const list of LISTS) {
      const names = value[list];
      if (names === undefined || names === null) continue;
      if (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))
        throw invalid(`${path}.${list} must be an array of strings (or null for any)`);
      if (list === 'types') access.types = parseNames(`${path}.types`, 'types', names);
      else access.directions = parseNames(`${path}.directions`, 'directions', names);
    }
    out[side] = access;
  }
  return normalizePermissions(out);
}

/** The permissions as the client-admin API and `ics clients list --json` show them: both sides, null = any. */
export function permissionsView(p: ContentPermissions | undefined) {
  const side = (a: ContentAccess | undefined) => ({
    types: a?.types === undefined ? null : [...a.types],
    directions: a?.directions === undefined ? null : [...a.directions],
  });
  return { read: side(p?.read), delete: side(p?.delete) };
}

/** One line for people: `read: callRecording,transcript (inbound); delete: none allowed …`. */
export function describePermissions(p: ContentPermissions | undefined): string {
  const norm = normalizePermissions(p);
  const side = (name: string, a: ContentAccess | undefined) => {
    if (a === undefined) return undefined;
    const types = a.types === undefined ? 'all types' : a.types.join(',');
    const dirs = a.directions === undefined ? 'both directions' : a.directions.join(',');
    return `${name} ${types} (${dirs})`;
  };
  const parts = [side('read', norm.read), side('delete', norm.delete)].filter((s) => s !== undefined);
  return parts.length === 0 ? 'unrestricted' : parts.join('; ');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The CLI's flags of `ics clients add` and `update`; each absent flag leaves its list as it is. */
export interface PermissionFlags {
  readTypes?: string;
  deleteTypes?: string;
  /** Both sides' directions at once. */
  directions?: string;
  readDirections?: string;
  deleteDirections?: string;
}

export const hasPermissionFlags = (f: PermissionFlags) => Object.values(f).some((v) => v !== undefined);

/** `current` with the flags applied (`all` lifts a restriction); 400 on unknown names or clashing flags. */
export function applyPermissionFlags(
  current: ContentPermissions | undefined,
  flags: PermissionFlags,
): ContentPermissions {
  if (flags.directions !== undefined && (flags.readDirections ?? flags.deleteDirections) !== undefined)
    throw invalid('--directions sets both sides; give it or --read-directions/--delete-directions, not both');
  const next = {
    read: { ...current?.read },
    delete: { ...current?.delete },
  } as { read: { types?: ContentTypeName[]; directions?: Direction[] }; delete: typeof next.read };
  const set = <K extends 'types' | 'directions'>(
    side: 'read' | 'delete',
    list: K,
    value: (K extends 'types' ? ContentTypeName[] : Direction[]) | undefined,
  ) => {
    if (value === undefined) delete next[side][list];
    else next[side][list] = value as never;
  };
  if (flags.readTypes !== undefined)
    set('read', 'types', parseNameList('--read-types', 'types', flags.readTypes));
  if (flags.deleteTypes !== undefined)
    set('delete', 'types', parseNameList('--delete-types', 'types', flags.deleteTypes));
  if (flags.directions !== undefined) {
    const dirs = parseNameList('--directions', 'directions', flags.directions);
    set('read', 'directions', dirs);
    set('delete', 'directions', dirs);
  }
  if (flags.readDirections !== undefined)
    set('read', 'directions', parseNameList('--read-directions', 'directions', flags.readDirections));
  if (flags.deleteDirections !== undefined)
    set('delete', 'directions', parseNameList('--delete-directions', 'directions', flags.deleteDirections));
  return normalizePermissions(next);
}
