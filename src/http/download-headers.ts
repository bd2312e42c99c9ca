import type { ContentRecord } from '../core/types.js';

// Headers for serving stored content safely: a validated media type, `inline` only for types a
// browser can't execute, an RFC 5987 filename, and validators for caching and Range.

const MEDIA_TYPE =
  /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}(\s*;\s*[a-z0-9!#$&^_.+-]+=("[^"\r\n]*"|[a-z0-9!#$&^_.+-]+))*$/i;
const INLINE = /^(audio|video)\/|^image\/(png|jpeg|gif|webp)$|^(application\/json|text\/plain)$/i;

export const isValidMediaType = (t: string) => t.length <= 200 && MEDIA_TYPE.test(t);

const EXT: Record<string, string> = {
  'audio/wav': '.wav',
  'audio/x-wav': '.wav',
  'audio/mpeg': '.mp3',
  'video/webm': '.webm',
  'video/mp4': '.mp4',
  'application/json': '.json',
  'text/plain': '.txt',
  'application/pdf': '.pdf',
  'image/png': '.png',
  'image/jpeg': '.jpg',
};

export const etagOf = (item: ContentRecord) => `"${item.sha256}"`;

export function downloadHeaders(item: ContentRecord): Record<string, string> {
  const media = isValidMediaType(item.mediaType) ? item.mediaType : 'application/octet-stream';
  const essence = media.split(';')[0].trim().toLowerCase();
  const filename = `${item.guid}-${item.contentKey}${EXT[essence] ?? ''}`;
  const disposition = INLINE.test(essence) ? 'inline' : 'attachment';
  return {
    'content-type': media,
    'accept-ranges': 'bytes',
    'last-modified': new Date(item.lastModified).toUTCString(),
    etag: etagOf(item),
    'cache-control': 'private, no-cache',
    'x-content-type-options': 'nosniff',
    'content-disposition': `${disposition}; filename="${filename.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`,
  };
}

/** RFC 9110 §13.1.2: If-None-Match with a weak comparison; `*` matches any. */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/**
 * RFC 9110 §13.1.5: a Range applies only while If-Range still names this representation, by a
 * strong comparison. An entity-tag must equal ours (a weak one never does); a date must equal
 * Last-Modified exactly (§13.1.5: "an exact match"), not merely be later. A date is a strong
 * validator only if no two versions share its second: ContentService keeps Last-Modified moving
 * on to the next second when a replacement lands in the same second as the version it replaces.
 */
export function ifRangeHolds(header: string | undefined, item: ContentRecord): boolean {
  if (!header) return true;
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === etagOf(item);
  const date = Date.parse(value);
  return !Number.isNaN(date) && Math.floor(item.lastModified / 1000) * 1000 === date;
}
