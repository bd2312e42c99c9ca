// Test-only fault injection: ICS_TEST_FAULTS="point[:n],…" kills the process with SIGKILL the n-th time
// (default: first) execution reaches `point`. The crash-recovery tests use it to stop a real server at
// precise instants. With the variable unset, hit() is a no-op.

export interface Faults {
  hit(point: string): void;
}

export const noFaults: Faults = { hit() {} };

export function createFaults(spec: string | undefined): Faults {
  if (!spec) return noFaults;
  const remaining = new Map<string, number>();
  for (const part of spec.split(',')) {
    const [point, n] = part.trim().split(':');
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
  };
}
