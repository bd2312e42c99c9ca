import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { badRequest, payloadTooLarge } from './errors.js';

/**
 * Passes bytes through while counting them and computing their SHA-256, so an upload is hashed on
 * its way to storage without a second read. Fails the stream (and so the upload) when the body grows
 * past `maxBytes` or ends short of `expectedLength`.
 */
export class HashingStream extends Transform {
  readonly #hash = createHash('sha256');
  readonly #maxBytes: number;
  readonly #expectedLength: number | undefined;
  length = 0;
  sha256 = '';

  constructor(opts: { maxBytes: number; expectedLength?: number }) {
    super({ highWaterMark: 1024 * 1024 });
    this.#maxBytes = opts.maxBytes;
    this.#expectedLength = opts.expectedLength;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.length += chunk.length;
    if (this.length > this.#maxBytes) return done(payloadTooLarge(this.#maxBytes));
    this.#hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback) {
    if (this.#expectedLength !== undefined && this.length !== this.#expectedLength) {
      return done(
        badRequest(`Body ended after ${this.length} of ${this.#expectedLength} bytes`, 'truncated_body'),
      );
    }
    this.sha256 = this.#hash.digest('hex');
    done();
  }
}
