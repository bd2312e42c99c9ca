const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** The time in the browser's zone, and the UTC form for the hover text. */
export function formatTime(iso: string): { local: string; utc: string } {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return { local: iso, utc: iso };
  return { local: dateTime.format(d), utc: `${d.toISOString().replace('.000Z', 'Z')} UTC` };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** A `datetime-local` input's value (browser zone) for a Date. */
export function toLocalInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A `datetime-local` value (browser zone) as the API's UTC form, or undefined. */
export function localInputToIso(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Why a search window is not acceptable, or undefined when it is. */
export function windowProblem(start: string | undefined, end: string | undefined, maxDays: number) {
  if (!start || !end) return 'Choose both a start and an end.';
  const ms = Date.parse(end) - Date.parse(start);
  if (!(ms > 0)) return 'The end must be after the start.';
  if (maxDays > 0 && ms > maxDays * 86_400_000)
    return `This server searches at most ${maxDays} days at a time; shorten the window.`;
  return undefined;
}

/** A duration the content's properties state (seconds), where an ingest pipeline recorded one. */
export function statedDuration(properties: Record<string, unknown>): number | undefined {
  const { durationSeconds, duration, durationMs } = properties as Record<string, unknown>;
  if (typeof durationMs === 'number') return durationMs / 1000;
  if (typeof durationSeconds === 'number') return durationSeconds;
  if (typeof duration === 'number') return duration;
  return undefined;
}
