import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** A stored file did not match its row: a different length or SHA-256 (damage in ICS's storage). */
export class ContentMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContentMismatchError';
  }
}

/**
 * The bytes of `source`, checked against the length and SHA-256 recorded at ingest. The last chunk
 * is held back until the whole file has been checked, so a target never receives all the bytes of a
 * file that does not match: the upload fails and nothing is stored.
 *
 * The source is read by iteration (never piped), so the fs store's pooled buffers, which are only
 * safe when piped straight into a socket, are not involved.
 */
export function verifiedBody(source: Readable, expected: { length: number; sha256: string }): Readable {
  async function* check() {
    const hash = createHash('sha256');
    let length = 0;
    let held: Buffer | undefined;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > expected.length)
        throw new ContentMismatchError(
          `the stored file is longer than its recorded ${expected.length} bytes`,
        );
      hash.update(chunk);
      if (held) yield held;
      held = chunk;
    }
    if (length !== expected.length)
      throw new ContentMismatchError(
        `the stored file has ${length} of its recorded ${expected.length} bytes`,
      );
    if (hash.digest('hex') !== expected.sha256)
      throw new ContentMismatchError('the stored file does not match its recorded SHA-256');
    if (held) yield held;
  }
  const out = Readable.from(check(), { objectMode: false, highWaterMark: 1024 * 1024 });
  out.once('close', () => source.destroy());
  return out;
}
