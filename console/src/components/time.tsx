import { formatTime } from '../lib/format.ts';

/** A time in the browser's zone; UTC on hover. */
export function Time({ iso }: { iso: string }) {
  const t = formatTime(iso);
  return (
    <time dateTime={iso} title={t.utc}>
      {t.local}
    </time>
  );
}
