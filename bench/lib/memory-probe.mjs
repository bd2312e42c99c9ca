// Loaded into the memory figure's ICS server with `node --import` (bench/figures/memory-rounds.ts),
// next to `--expose-gc`. On SIGUSR2 it reads process.memoryUsage() as it is, forces a full garbage
// collection (twice: the first pass runs finalizers that free native memory, such as the buffers of
// closed sockets and files, that the second then finds unreferenced), and reads it again; both go to
// the file named by ICS_BENCH_MEMORY_PROBE. The bench compares rounds on the reading after the GC,
// which is what the server still holds, whatever the time of V8's last collection. Bench only: the
// server itself never loads it.
import { writeFileSync } from 'node:fs';

const out = process.env.ICS_BENCH_MEMORY_PROBE;

const usage = () => {
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
};

process.on('SIGUSR2', () => {
  if (!out) return;
  const before = usage();
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    // Let finalizers and the thread pool's pending frees run, then collect what they released.
    setImmediate(() => {
      globalThis.gc();
      writeFileSync(out, JSON.stringify({ before, after: usage(), gc: true }));
    });
  } else writeFileSync(out, JSON.stringify({ before, after: before, gc: false }));
});
