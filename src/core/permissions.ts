import { AppError } from './errors.js';
import type {
  Actor,
  ContentAccess,
  ContentPermissions,
  ContentRecord,
  ContentTypeName,
  Direction,
} from './types.js';

// The rules of a client's content permissions (docs/security.md, "Content permissions"). Reading:
// an item is visible when its type and its interaction's direction are both permitted; an
// interaction without a visible item is absent (404), like one without content. Deleting: an item
// may be removed when its type and direction are permitted for delete; a whole interaction only when
// every item it holds may be.

export type AccessKind = keyof ContentPermissions;

/** The actor's restriction for `kind`, or undefined when it has none (the common case). */
export function accessOf(actor: Pick<Actor, 'permissions'>, kind: AccessKind): ContentAccess | undefined {
  const access = actor.permissions?.[kind];
  if (access === undefined || (access.types === undefined && access.directions === undefined))
    return undefined;
  return access;
}

export const permitsDirection = (access: ContentAccess | undefined, direction: Direction) =>
  access?.directions === undefined || access.directions.includes(direction);

export const permitsType = (access: ContentAccess | undefined, type: ContentTypeName) =>
  access?.types === undefined || access.types.includes(type);

/** The items `access` lets through, for an interaction of `direction` ([] when its direction is not). */
export function permittedItems<T extends Pick<ContentRecord, 'type'>>(
  access: ContentAccess | undefined,
  direction: Direction,
  items: readonly T[],
): T[] {
  if (access === undefined) return items as T[];
  if (!permitsDirection(access, direction)) return [];
  return items.filter((i) => permitsType(access, i.type));
}

/** Whether every one of `items` (of an interaction of `direction`) may be removed. */
export function mayDeleteAll(
  access: ContentAccess | undefined,
  direction: Direction,
  items: readonly Pick<ContentRecord, 'type'>[],
): boolean {
  if (access === undefined) return true;
  return permitsDirection(access, direction) && items.every((i) => permitsType(access, i.type));
}

/** VCC's delete-batch failure for an interaction the caller may not fully delete. */
export const notAuthorizedToRemoveGuid = () =>
  new AppError({ status: 403, code: 'not_authorized', message: 'Not authorized to remove GUID' });

export const notAuthorizedToRemoveContent = (key: string, why?: string) =>
  new AppError({
    status: 403,
    code: 'not_authorized',
    message: `Not authorized to remove content '${key}'${why === undefined ? '' : `: ${why}`}`,
  });

/** `{}` and empty sides dropped, lists de-duplicated and sorted: one form for storage and comparison. */
export function normalizePermissions(p: ContentPermissions | undefined): ContentPermissions {
  const out: ContentPermissions = {};
  for (const kind of ['read', 'delete'] as const) {
    const side = p?.[kind];
    if (side === undefined) continue;
    const norm: { types?: ContentTypeName[]; directions?: Direction[] } = {};
    if (side.types !== undefined) norm.types = [...new Set(side.types)].sort();
    if (side.directions !== undefined) norm.directions = [...new Set(side.directions)].sort();
    if (norm.types !== undefined || norm.directions !== undefined) out[kind] = norm;
  }
  return out;
}
