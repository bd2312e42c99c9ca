import { badRequest } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates a GUID with VCC's messages and returns it lower-cased. */
export function parseGuid(raw: string): string {
  if (raw.length !== 36) throw badRequest('GUID must be 36 characters in length', 'invalid_guid');
  if (!UUID.test(raw)) throw badRequest(`GUID '${raw}' is not a valid UUID string`, 'invalid_guid');
  return raw.toLowerCase();
}

export const isGuid = (raw: string) => raw.length === 36 && UUID.test(raw);
