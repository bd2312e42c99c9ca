import { setTimeout as sleep, setImmediate as yieldToIo } from 'node:timers/promises';

/**
 * How a background job shares the machine with requests: after each stretch of work it rests for
 * `restPercent` of the time that stretch took (100: as long again), and always yields one turn of
 * the event loop, so the job takes at most 100 / (100 + restPercent) of a core. In `ics serve` jobs
 * run on the job thread (src/job-thread.ts), where the rests leave the machine's cores, disk and
 * thread pool to the requests; where a runner shares its thread with requests (createDeps in
 * tests), on SQLite a job's statements run synchronously on the event loop, and without rests a
 * job that never waits for I/O would take the loop nearly all of the time.
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
