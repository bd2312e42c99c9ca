import { close, read } from 'node:fs';
import { Readable, type Writable } from 'node:stream';

// Downloads from the fs blob store without a new buffer per read.
//
// fs.ReadStream allocates a fresh Buffer for every read. Those buffers live outside V8's heap, and
// V8 answers a steady stream of them with "external memory pressure" full garbage collections:
// about one every 80 ms while serving ~1 GB/s, each walking the whole heap. A server that had been
// idle for a few seconds (V8's memory reducer had shrunk its limits) spent two to three times the
// CPU per GiB of a bare Node file server, round after round (docs/performance.md). A FileSlice
// reads into buffers from a small shared pool and, when piped into an HTTP response (the only
// consumer on the hot path), writes each buffer and takes it back once the socket has taken the
// bytes (the write callback), so steady downloads allocate nothing. Any other consumer gets
// ordinary fresh buffers through _read.

const POOL_BUFFER = 256 * 1024;
/** Buffers kept for reuse (16 MiB); more are allocated under heavier load and dropped afterwards. */
const POOL_MAX = 64;
const pool: Buffer[] = [];

const take = () => pool.pop() ?? Buffer.allocUnsafeSlow(POOL_BUFFER);
const giveBack = (buf: Buffer) => {
  if (pool.length < POOL_MAX) pool.push(buf);
};

function readAt(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))),
  );
}

export class FileSlice extends Readable {
  readonly #fd: number;
  #position: number;
  readonly #end: number;
  #closed = false;
  #piped = false;
  /** The read or pump in flight: the descriptor is closed only after it settles. */
  #busy: Promise<unknown> | undefined;

  /** Owns `fd` from here: closes it when done, destroyed or failed. `end` is inclusive. */
  constructor(fd: number, start: number, end: number, readSize: number) {
    super({ highWaterMark: readSize });
    this.#fd = fd;
    this.#position = start;
    this.#end = end;
  }

  override _read(size: number): void {
    const length = Math.min(size, this.#end - this.#position + 1);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafeSlow(length);
    const reading = readAt(this.#fd, buf, length, this.#position);
    this.#busy = reading;
    reading.then(
      (n) => {
        this.#busy = undefined;
        if (this.destroyed) return;
        if (n === 0) return this.destroy(new Error('file ended before the expected length'));
        this.#position += n;
        this.push(n < length ? buf.subarray(0, n) : buf);
      },
      (err: Error) => {
        this.#busy = undefined;
        this.destroy(err);
      },
    );
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    // Never close under a read in flight: the number could be reused by the time it runs.
    const busy = this.#busy;
    if (busy) busy.finally(() => this.#close()).catch(() => undefined);
    else this.#close();
    done(err);
  }

  #close() {
    if (this.#closed) return;
    this.#closed = true;
    close(this.#fd, () => undefined);
  }

  /**
   * The pooled path: reads into two pool buffers in turn, so the next read overlaps the write of
   * the previous one, and returns each buffer to the pool once the destination's write callback
   * says the bytes are handed over. Ends `dest` at the end of the slice; stops when `dest` closes
   * early (a client that went away) and destroys it on a read error (headers are already out).
   */
  override pipe<T extends NodeJS.WritableStream>(dest: T, options?: { end?: boolean }): T {
    if (this.#piped || !isWritable(dest)) return super.pipe(dest, options);
    this.#piped = true;
    const pumping = this.#pump(dest, options?.end !== false);
    this.#busy = pumping;
    void pumping.finally(() => {
      this.#busy = undefined;
    });
    return dest;
  }

  async #pump(dest: Writable, end: boolean): Promise<void> {
    // A response whose socket is gone may never call a write callback: closing stops the wait.
    let gone = false;
    let onClose = () => undefined as undefined;
    const closed = new Promise<void>((resolve) => {
      onClose = () => {
        gone = true;
        resolve();
      };
    });
    dest.once('close', onClose);
    const buffers = [take(), take()];
    let writing: Promise<void> = Promise.resolve();
    let readFailure: Error | undefined;
    let writeFailed = false;
    const write = (chunk: Buffer) => {
      const p = new Promise<void>((resolve, reject) =>
        dest.write(chunk, (err) => (err ? reject(err) : resolve())),
      );
      // The client's side of things: not this stream's error (as when a plain pipe's destination
      // fails). Handled at once, since it may fail while the next read is awaited.
      return p.catch(() => {
        writeFailed = true;
      });
    };
    try {
      for (let i = 0; this.#position <= this.#end && !gone && !writeFailed && !this.destroyed; i++) {
        const buf = buffers[i % 2];
        const length = Math.min(POOL_BUFFER, this.#end - this.#position + 1);
        const n = await readAt(this.#fd, buf, length, this.#position);
        if (n === 0) throw new Error('file ended before the expected length');
        this.#position += n;
        await Promise.race([writing, closed]); // the other buffer's write: done before reuse
        if (gone || writeFailed || this.destroyed) break;
        writing = write(buf.subarray(0, n));
      }
      await Promise.race([writing, closed]);
    } catch (err) {
      readFailure = err as Error;
    } finally {
      dest.off('close', onClose);
    }
    // Only a clean finish proves the socket let go of both buffers; otherwise they are dropped.
    const clean = readFailure === undefined && !writeFailed && !gone && !this.destroyed;
    if (!clean) {
      // A read failure after the headers went out can only be signalled by cutting the response.
      if (readFailure !== undefined) dest.destroy(readFailure);
      this.destroy(readFailure);
      return;
    }
    for (const buf of buffers) giveBack(buf);
    // Whoever watches this stream (Fastify) sees its end before the response ends.
    this.push(null);
    this.resume();
    if (!this.readableEnded) await new Promise((resolve) => this.once('end', resolve));
    if (end) dest.end();
  }
}

function isWritable(dest: NodeJS.WritableStream): dest is NodeJS.WritableStream & Writable {
  return typeof (dest as Writable).destroy === 'function' && typeof (dest as Writable).once === 'function';
}
