// Test-only fault injection through ICS_TEST_FAULTS, a comma-separated list of
//   point[:n]         SIGKILL the process the n-th time (default: first) execution reaches `point`
//   point@pause=ms    wait `ms` milliseconds every time execution reaches `point`
// The crash-recovery tests use kills to stop a real server at precise instants; pauses hold a state
// (e.g. a running delete-batch) open long enough to observe it. With the variable unset, both are no-ops.

export interface Faults {
  hit(point: string): void;
  pause(point: string): Promise<void>;
}

export const noFaults: Faults = { hit() {}, async pause() {} };

export function createFaults(spec: string | undefined): Faults {
  if (!spec) return noFaults;
  const remaining = new Map<string, number>();
  const pauses = new Map<string, number>();
  for (const part of spec.split(',').map((p) => p.trim())) {
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
