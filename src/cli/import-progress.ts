import type { ImportEvent, ImportSummary } from '../import/import-events.js';

// How `ics import` shows its progress: a redrawn bar on a terminal, JSON lines anywhere else (a
// log file, a pipe, CI), so that a long migration can be followed and audited either way.

export interface ImportReporter {
  start(info: { from: string; account: string; start: string; end: string; slices: number }): void;
  event(e: ImportEvent): void;
  bytes(n: number): void;
  finish(summary: ImportSummary): void;
}

/** Items and bytes done against the scan's totals, the transfer rate over the last ten seconds, the ETA. */
class Progress {
  totalItems = 0;
  totalBytes = 0;
  scanning = true;
  items = 0;
  doneBytes = 0;
  failed = 0;
  received = 0;
  readonly #samples: { at: number; received: number }[] = [];

  constructor(private readonly now: () => number) {}

  take(e: ImportEvent) {
    if (e.type === 'scan') {
      this.totalItems = e.items;
      this.totalBytes = e.bytes;
      this.scanning = !e.done;
    } else if (e.type === 'item') {
      this.items++;
      this.doneBytes += e.bytes;
      if (e.status === 'failed') this.failed++;
    }
  }

  /** Bytes per second received from the source, over the last ten seconds. */
  rate(): number {
    const at = this.now();
    this.#samples.push({ at, received: this.received });
    while (this.#samples.length > 2 && at - this.#samples[0].at > 10_000) this.#samples.shift();
    const first = this.#samples[0];
    const seconds = (at - first.at) / 1000;
    return seconds > 0.5 ? (this.received - first.received) / seconds : 0;
  }

  snapshot() {
    const rate = this.rate();
    const left = Math.max(0, this.totalBytes - this.doneBytes);
    return {
      items: this.items,
      totalItems: this.totalItems,
      bytes: this.doneBytes,
      totalBytes: this.totalBytes,
      bytesPerSecond: Math.round(rate),
      etaSeconds: rate > 0 ? Math.round(left / rate) : null,
      failed: this.failed,
    };
  }
}

/** One JSON object per line on `out`: every event, a progress line every two seconds, the summary. */
export function jsonLinesReporter(
  out: { write(s: string): unknown },
  opts: { now?: () => number; intervalMs?: number } = {},
): ImportReporter {
  const now = opts.now ?? Date.now;
  const p = new Progress(now);
  const line = (o: object) => out.write(`${JSON.stringify({ at: new Date(now()).toISOString(), ...o })}\n`);
  const timer = setInterval(() => {
    if (!p.scanning) line({ type: 'progress', ...p.snapshot() });
  }, opts.intervalMs ?? 2000);
  timer.unref();
  return {
    start(info) {
      line({ type: 'start', ...info });
    },
    event(e) {
      p.take(e);
      line(e);
    },
    bytes(n) {
      p.received += n;
    },
    finish(summary) {
      clearInterval(timer);
      line({ type: 'summary', ...summary });
    },
  };
}

/** A bar on a terminal, redrawn four times a second; failures, warnings and retries print above it. */
export function ttyReporter(out: { write(s: string): unknown; columns?: number }): ImportReporter {
  const p = new Progress(Date.now);
  let drawn = false;
  const clear = () => {
    if (drawn) out.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = () => {
    clear();
    out.write(barLine(p, out.columns || 100));
    drawn = true;
  };
  const above = (text: string) => {
    clear();
    out.write(`${text}\n`);
    draw();
  };
  const timer = setInterval(draw, 250);
  timer.unref();
  return {
    start(info) {
      out.write(
        `importing ${info.from} (${info.start} to ${info.end}, ${info.slices} slice${info.slices === 1 ? '' : 's'}) into account '${info.account}'\n`,
      );
    },
    event(e) {
      p.take(e);
      if (e.type === 'item' && e.status === 'failed')
        above(`failed   ${e.guid} ${e.contentKey}: ${e.message}`);
      else if (e.type === 'interaction')
        above(`${e.status === 'failed' ? 'failed  ' : 'warning '} ${e.guid}: ${e.message}`);
      else if (e.type === 'retry')
        above(`retry    ${e.op} in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt}): ${e.reason}`);
    },
    bytes(n) {
      p.received += n;
    },
    finish(s) {
      clearInterval(timer);
      clear();
      const i = s.items;
      out.write(
        [
          `${s.interrupted ? 'interrupted' : s.fatal ? 'stopped' : 'done'} after ${duration(s.seconds)}: ` +
            `${s.interactions.total} interactions (${s.interactions.created} created, ${s.interactions.existing} already there` +
            `${s.interactions.failed ? `, ${s.interactions.failed} failed` : ''})`,
          `  items: ${i.copied} copied, ${i.replaced} replaced, ${i.skipped} already there, ${i.vanished} gone from the source, ${i.failed} failed (of ${i.total})`,
          `  bytes: ${size(s.bytes.copied)} copied of ${size(s.bytes.total)}; ${s.retries} retries`,
          ...(s.fatal ? [`  stopped: ${s.fatal}`] : []),
          ...(s.interrupted || s.fatal ? ['  run the same command again to resume'] : []),
          '',
        ].join('\n'),
      );
    },
  };
}

function barLine(p: Progress, columns: number): string {
  if (p.scanning) return `counting … ${p.totalItems.toLocaleString('en-US')} items, ${size(p.totalBytes)}`;
  const s = p.snapshot();
  const fraction = s.totalBytes > 0 ? s.bytes / s.totalBytes : s.totalItems > 0 ? s.items / s.totalItems : 1;
  const text =
    ` ${Math.floor(fraction * 100)
      .toString()
      .padStart(3)} % ${s.items.toLocaleString('en-US')}/${s.totalItems.toLocaleString('en-US')} items` +
    `  ${size(s.bytes)}/${size(s.totalBytes)}  ${size(s.bytesPerSecond)}/s  ETA ${s.etaSeconds === null ? '—' : duration(s.etaSeconds)}` +
    (s.failed ? `  ${s.failed} failed` : '');
  // The numbers first: the bar takes what room is left, and is left out on a narrow terminal.
  const width = Math.min(30, columns - text.length - 3);
  if (width < 5) return text.trimStart().slice(0, Math.max(20, columns - 1));
  const full = Math.round(fraction * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}]${text}`;
}

export function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
