import type { ContentRecord } from '../core/types.js';

// Where an export puts an interaction's files, relative to the storage item's prefix:
//
//   <yyyy>/<mm>/<dd>/<guid>/interaction.json            the interaction, as GET /interactions/{guid}
//   <yyyy>/<mm>/<dd>/<guid>/content/<contentKey>[.ext]  each content file
//
// The date is the interaction's start (UTC), which never changes; the GUID is in every key; the
// content key is the stored one (named keys as the type name, unique ids in lower case), so one
// item always lands on the same key and a re-run overwrites or skips, never duplicates. The
// extension comes from the media type when it is a well-known one. Content keys are 1-36 of
// `0-9 a-z A-Z ! - _ . , * ' ( )`, which S3 takes as they are.

const EXT: Record<string, string> = {
  'audio/wav': '.wav',
  'audio/x-wav': '.wav',
  'audio/wave': '.wav',
  'audio/mpeg': '.mp3',
  'audio/mp4': '.m4a',
  'audio/ogg': '.ogg',
  'audio/webm': '.weba',
  'video/webm': '.webm',
  'video/mp4': '.mp4',
  'application/json': '.json',
  'text/plain': '.txt',
  'text/html': '.html',
  'text/csv': '.csv',
  'application/pdf': '.pdf',
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
};

const two = (n: number) => String(n).padStart(2, '0');

/** `<yyyy>/<mm>/<dd>/<guid>/` of an interaction that starts at `start`. */
export function interactionFolder(guid: string, start: number): string {
  const d = new Date(start);
  return `${d.getUTCFullYear()}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${guid}/`;
}

export const metadataKey = (guid: string, start: number) =>
  `${interactionFolder(guid, start)}interaction.json`;

export function contentFileKey(
  item: Pick<ContentRecord, 'guid' | 'contentKey' | 'mediaType'>,
  start: number,
) {
  const essence = item.mediaType.split(';')[0].trim().toLowerCase();
  return `${interactionFolder(item.guid, start)}content/${item.contentKey}${EXT[essence] ?? ''}`;
}
