import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { EVENT_TYPES } from '../core/events.js';

// The notification on the wire, exactly as VCC sends it: a CloudEvents 1.0 structured-mode JSON body
// (Content-Type application/cloudevents+json) and a `Vonage-Signature: Bearer <JWT>` header. The JWT
// is HS256 under the base64-DECODED subscription secret, with `payload_hash` = hex SHA-256 of the
// exact body bytes, `iat`, and `exp` = iat + 300. A consumer written for VCC verifies it unchanged.

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';
export const SIGNATURE_HEADER = 'Vonage-Signature';
const SIGNATURE_LIFETIME_SECONDS = 300;

/** The CloudEvents `source` of each event type (a URI reference naming the part of ICS that raised it). */
export function sourceOf(type: string): string {
  if (type.startsWith('deletion-job.')) return '/interaction-content/deletion-jobs';
  if (type.startsWith('retention.')) return '/interaction-content/retention';
  return '/interaction-content/interactions';
}

/** The catalogue for GET /webhooks/event-types. */
export const eventTypeCatalogue = () =>
  EVENT_TYPES.map((e) => ({
    name: e.name,
    version: /\.v(\d+)$/.exec(e.name)?.[1] ?? '1',
    source: sourceOf(e.name),
    description: e.description,
  }));

export interface OutboxEvent {
  id: string;
  type: string;
  subject: string | null;
  at: number;
  data: Record<string, unknown>;
}

/** The structured-mode CloudEvent JSON of an outbox event: made once, sent as-is on every attempt. */
export function cloudEventBody(e: OutboxEvent): string {
  return JSON.stringify({
    specversion: '1.0',
    id: e.id,
    source: sourceOf(e.type),
    type: e.type,
    time: new Date(e.at).toISOString(),
    ...(e.subject !== null && { subject: e.subject }),
    datacontenttype: 'application/json',
    data: e.data,
  });
}

/** The Vonage-Signature header value for one attempt of sending `body`. */
export async function signatureHeader(body: string, secret: Buffer, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  const jwt = await new SignJWT({ payload_hash: createHash('sha256').update(body, 'utf8').digest('hex') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + SIGNATURE_LIFETIME_SECONDS)
    .sign(secret);
  return `Bearer ${jwt}`;
}
