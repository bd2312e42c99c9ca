import { normalizeAddress } from '../core/addresses.js';
import { badRequest } from '../core/errors.js';
import { parseTime } from '../core/time.js';
import { CONTENT_TYPES, type ContentTypeName, type Direction } from '../core/types.js';
import { invalidField } from './errors.js';
import type { DeletionMatch } from './types.js';

/** A deletion job as the API receives it (times as ISO 8601 text). */
export interface NewDeletionJobInput {
  match: {
    addresses?: string[];
    handlingAgentId?: string;
    start?: string;
    end?: string;
    direction?: string;
    contentTypes?: string[];
  };
  dryRun?: boolean;
  reason: string;
  reference?: string;
}

export const MAX_ADDRESSES = 100;
export const MAX_REASON = 500;
export const MAX_REFERENCE = 200;

export interface ValidJob {
  match: DeletionMatch;
  normalized: string[];
  dryRun: boolean;
  reason: string;
  reference: string | null;
}

/** Checks a new job completely before anything is stored; a 400 names the first bad field. */
export function validateJob(input: NewDeletionJobInput | undefined): ValidJob {
  if (!input || typeof input !== 'object') throw badRequest('Body must be a JSON object', 'invalid_body');
  const m = input.match;
  if (!m || typeof m !== 'object') throw invalidField('match', 'is required');
  const match: DeletionMatch = {};
  let normalized: string[] = [];
  if (m.addresses !== undefined) {
    if (!Array.isArray(m.addresses) || m.addresses.length < 1 || m.addresses.length > MAX_ADDRESSES)
      throw invalidField('match.addresses', `must hold 1 to ${MAX_ADDRESSES} addresses`);
    m.addresses.forEach((a, i) => {
      if (typeof a !== 'string' || normalizeAddress(a) === '' || a.length > 320)
        throw invalidField(
          `match.addresses.${i}`,
          'must be a phone number or e-mail address (1–320 characters)',
        );
    });
    match.addresses = [...m.addresses];
    normalized = [...new Set(m.addresses.map(normalizeAddress))];
  }
  if (m.handlingAgentId !== undefined) {
    if (
      typeof m.handlingAgentId !== 'string' ||
      m.handlingAgentId.length < 1 ||
      m.handlingAgentId.length > 128
    )
      throw invalidField('match.handlingAgentId', 'must be 1 to 128 characters');
    match.handlingAgentId = m.handlingAgentId;
  }
  if ((m.start === undefined) !== (m.end === undefined))
    throw invalidField(m.start === undefined ? 'match.start' : 'match.end', "'start' and 'end' go together");
  if (m.start !== undefined && m.end !== undefined) {
    const start = typeof m.start === 'string' ? parseTime(m.start) : undefined;
    if (start === undefined) throw invalidField('match.start', 'must be an ISO 8601 date-time');
    const end = typeof m.end === 'string' ? parseTime(m.end) : undefined;
    if (end === undefined) throw invalidField('match.end', 'must be an ISO 8601 date-time');
    if (end <= start) throw invalidField('match.end', "must be after 'start'");
    match.start = start;
    match.end = end;
  }
  if (m.direction !== undefined) {
    if (m.direction !== 'inbound' && m.direction !== 'outbound')
      throw invalidField('match.direction', "must be 'inbound' or 'outbound'");
    match.direction = m.direction as Direction;
  }
  if (m.contentTypes !== undefined) {
    if (!Array.isArray(m.contentTypes) || m.contentTypes.length === 0)
      throw invalidField('match.contentTypes', 'must hold at least one content type');
    for (const t of m.contentTypes) {
      if (!(CONTENT_TYPES as readonly string[]).includes(t))
        throw invalidField(
          'match.contentTypes',
          `'${String(t)}' is not a content type; one of ${CONTENT_TYPES.join(', ')}`,
        );
    }
    match.contentTypes = [...new Set(m.contentTypes as ContentTypeName[])];
  }
  if (match.addresses === undefined && match.handlingAgentId === undefined && match.start === undefined)
    throw invalidField(
      'match',
      "needs at least one of 'addresses', 'handlingAgentId', or 'start' with 'end'",
    );

  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason.length < 1 || reason.length > MAX_REASON)
    throw invalidField('reason', `is required: 1 to ${MAX_REASON} characters`);
  let reference: string | null = null;
  if (input.reference !== undefined) {
    if (
      typeof input.reference !== 'string' ||
      input.reference.trim().length < 1 ||
      input.reference.length > MAX_REFERENCE
    )
      throw invalidField('reference', `must be 1 to ${MAX_REFERENCE} characters`);
    reference = input.reference.trim();
  }
  if (input.dryRun !== undefined && typeof input.dryRun !== 'boolean')
    throw invalidField('dryRun', 'must be true or false');
  return { match, normalized, dryRun: input.dryRun ?? false, reason, reference };
}
