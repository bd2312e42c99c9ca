import { badRequest } from '../core/errors.js';
import { parseTime } from '../core/time.js';

/** A date-time query parameter or field, or 400 naming it. */
export function timeParam(name: string, raw: string): number {
  const ms = parseTime(raw);
  if (ms === undefined)
    throw badRequest(`Invalid parameter '${name}': expected an ISO 8601 date-time`, 'invalid_date');
  return ms;
}

export const optionalTimeParam = (name: string, raw: string | undefined) =>
  raw === undefined ? undefined : timeParam(name, raw);
