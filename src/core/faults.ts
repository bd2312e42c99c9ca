// Test-only fault injection through ICS_TEST_FAULTS, a comma-separated list of
//   point[:n]         SIGKILL the process the n-th time (default: first) execution reaches `point`
//   point@pause=ms    wait `ms` milliseconds every time execution reaches `point`
//   point@hold=path   the first time execution reaches `point`: create `path.reached`, then block the
//                     thread synchronously (its event loop too) until `path` exists (at most 60 s)
// The crash-recovery tests use kills to stop a real server at precise instants; pauses hold a state
// (e.g. a running delete-batch) open long enough to observe it; holds stop a thread in its tracks
// (what else still answers meanwhile, the job thread test). With the variable unset, all are no-ops.
import { existsSync, writeFileSync } from 'node:fs';

export interface Faults {
  hit(point: string): void;
  pause(point: string): Promise<void>;
}

export const noFaults: Faults = { hit() {}, async pause() {} };

export function createFaults(spec: string | undefined): Faults {
  if (!spec) return noFaults;
  const remaining = new Map<string, number>();
  const pauses = new Map<string, number>();
  const holds = new Map<string, string>();
  for (const part of spec.split(',').map((p) => p.trim())) {
    const held = /^([\w.-]+)@hold=(.+)$/.exec(part);
    if (held) {
      holds.set(held[1], held[2]);
      continue;
    }
    const paused = /^([\w.-]+)@pause=(\d+)$/.exec(part);
    if (paused) {
      pauses.set(paused[1], Number(paused[2]));
      continue;
    }
    const [point, n] = part.split(':');
    if (point) remaining.set(point, n ? Number(n) : 1);
  }
  return {
    hit(point) {
      const hold = holds.get(point);
      if (hold !== undefined) {
        holds.delete(point);
        blockUntil(hold);
      }
      const left = remaining.get(point);
      if (left === undefined) return;
      if (left > 1) {
        remaining.set(point, left - 1);
        return;
      }
      process.kill(process.pid, 'SIGKILL');
    },
    async pause(point) {
      const ms = pauses.get(point);
      if (ms !== undefined) await new Promise((resolve) => setTimeout(resolve, ms));
    },
  };
}

function blockUntil(path: string) {
  writeFileSync(`${path}.reached`, '');
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 60_000;
  while (!existsSync(path) && Date.now() < deadline) Atomics.wait(nap, 0, 0, 20);
}
