import { close, fsync, open, writev } from 'node:fs';
import { Writable } from 'node:stream';

// The file an upload streams into: created exclusively ('wx', mode 0600), written in pieces of
// about `batchBytes`, fsynced and closed before the stream finishes. It counts the bytes itself.
//
// fs.WriteStream writes each chunk as it arrives (a socket's 16-64 KiB), and each write is a hand-off
// to libuv's thread pool that costs the event loop more than the system call (locking, waking a
// worker): in `ics import` the write hand-offs were about 10 % of the main thread (docs/performance.md).
// This writer keeps chunks until `batchBytes` have arrived and writes them with one writev, so a
// 5 MiB file is about 5 writes, not 80-300. It holds at most `batchBytes` beyond what is written;
// a chunk it keeps is not copied (a stream's chunks are not reused by their producer).

type Callback = (err?: Error | null) => void;

export class DurableFile extends Writable {
  readonly #path: string;
  readonly #batchBytes: number;
  #fd: number | undefined;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The open, write or fsync in flight: the descriptor is closed only after it settles. */
  #busy: Promise<unknown> | undefined;
  /** Bytes accepted so far (all of them are in the file once the stream has finished). */
  length = 0;

  constructor(path: string, opts: { batchBytes: number }) {
    super({ highWaterMark: opts.batchBytes });
    this.#path = path;
    this.#batchBytes = opts.batchBytes;
  }

  override _construct(done: Callback): void {
    this.#track(
      new Promise<void>((resolve, reject) =>
        open(this.#path, 'wx', 0o600, (err, fd) => {
          if (err) return reject(err);
          this.#fd = fd;
          resolve();
        }),
      ),
      done,
    );
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: Callback): void {
    this.#keep(chunk);
    this.#writeIfFull(done);
  }

  override _writev(chunks: { chunk: Buffer }[], done: Callback): void {
    for (const { chunk } of chunks) this.#keep(chunk);
    this.#writeIfFull(done);
  }

  /** Below a batch, the chunks are only kept (and taken at once); a full batch is written first. */
  #writeIfFull(done: Callback) {
    if (this.#pendingBytes < this.#batchBytes) done();
    else this.#track(this.#flush(), done);
  }

  /** The rest of the bytes, then fsync and close: 'finish' means durable and closed. */
  override _final(done: Callback): void {
    this.#track(
      (async () => {
        await this.#flush();
        const fd = this.#fd as number;
        await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
        this.#fd = undefined;
        await new Promise<void>((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
      })(),
      done,
    );
  }

  override _destroy(err: Error | null, done: Callback): void {
    // Never close under an operation in flight: the number could be reused by the time it runs.
    const closeFd = () => {
      const fd = this.#fd;
      this.#fd = undefined;
      if (fd === undefined) return done(err);
      close(fd, () => done(err));
    };
    const busy = this.#busy;
    if (busy) busy.then(closeFd, closeFd);
    else closeFd();
  }

  #keep(chunk: Buffer) {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    this.length += chunk.length;
  }

  async #flush(): Promise<void> {
    let buffers = this.#pending;
    let left = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    const fd = this.#fd as number;
    while (left > 0) {
      const n = await new Promise<number>((resolve, reject) =>
        writev(fd, buffers, null, (err, written) => (err ? reject(err) : resolve(written))),
      );
      left -= n;
      if (left > 0) buffers = rest(buffers, n);
    }
  }

  #track(work: Promise<unknown>, done: Callback) {
    const tracked = work.then(
      () => {
        if (this.#busy === tracked) this.#busy = undefined;
        done();
      },
      (err: Error) => {
        if (this.#busy === tracked) this.#busy = undefined;
        done(err);
      },
    );
    this.#busy = tracked;
  }
}

/** What is left of `buffers` after the first `n` bytes (a short write). */
function rest(buffers: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = n;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
