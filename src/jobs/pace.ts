import { setTimeout as sleep, setImmediate as yieldToIo } from 'node:timers/promises';

/**
 * How a background job shares the process with requests: after each stretch of work it rests for
 * `restPercent` of the time that stretch took (100: as long again), and always yields one turn of
 * the event loop. On SQLite a job's statements run synchronously on the event loop and its
 * transaction holds the store's write connection, so without rests a job that never waits for I/O
 * takes the loop nearly all of the time and requests queue behind it; with them, a
 * request waits at most about one stretch, and the job gets at most 100 / (100 + restPercent) of
 * the process.
 */
export function pacer(restPercent: number) {
  let began = performance.now();
  let ended: number | undefined;
  return {
    /** Marks the start of a stretch of work. */
    start() {
      began = performance.now();
      ended = undefined;
    },
    /** Marks its end, when what follows (waiting for I/O) leaves the event loop free anyway. */
    end() {
      ended = performance.now();
    },
    /** Rests after the stretch that start() began. */
    async rest() {
      const ms = (((ended ?? performance.now()) - began) * restPercent) / 100;
      if (ms >= 1) await sleep(ms);
      else await yieldToIo();
    },
  };
}
