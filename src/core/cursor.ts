import { createHmac, timingSafeEqual } from 'node:crypto';
import { badRequest } from './errors.js';
import type { SearchCursor, SearchFilters } from './types.js';

// A continuation token is the keyset position of the last row served, bound to the query's filters
// and signed, so it is opaque, cannot be forged or edited, and cannot be replayed with other filters.

export class CursorCodec {
  readonly #key: Buffer;

  constructor(secret: Uint8Array) {
    this.#key = createHmac('sha256', secret).update('ics continuation token v1').digest();
  }

  encode(filters: SearchFilters, at: SearchCursor): string {
    const body = Buffer.from(
      JSON.stringify({ s: at.start, g: at.guid, f: this.#fingerprint(filters) }),
    ).toString('base64url');
    return `${body}.${this.#sign(body)}`;
  }

  /** The position, or 400 when the token is malformed, tampered with or made by another query. */
  decode(token: string, filters: SearchFilters): SearchCursor {
    const invalid = () => badRequest("Invalid parameter 'continuationToken'", 'invalid_continuation_token');
    const [body, sig, extra] = token.split('.');
    if (!body || !sig || extra !== undefined) throw invalid();
    const expected = Buffer.from(this.#sign(body));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
    let parsed: { s?: unknown; g?: unknown; f?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw invalid();
    }
    if (typeof parsed.s !== 'number' || typeof parsed.g !== 'string' || typeof parsed.f !== 'string')
      throw invalid();
    if (parsed.f !== this.#fingerprint(filters)) {
      throw badRequest(
        "Invalid parameter 'continuationToken': it belongs to a query with other filters",
        'invalid_continuation_token',
      );
    }
    return { start: parsed.s, guid: parsed.g };
  }

  #sign(body: string) {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }

  #fingerprint(f: SearchFilters) {
    const canonical = JSON.stringify([
      f.account,
      f.start,
      f.end,
      f.handlingAgentId ?? null,
      f.connectFrom ?? null,
      f.connectTo ?? null,
      f.direction ?? null,
    ]);
    return createHmac('sha256', this.#key).update(canonical).digest('base64url').slice(0, 22);
  }
}
