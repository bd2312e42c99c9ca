// Figures side by side with their yardsticks: medians over interleaved rounds, ratios, verdicts, a
// printed table per figure and one JSON document for machines.

export const median = (xs: number[]) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Nearest-rank percentile, p in 0..100. */
export const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

export type Verdict = 'PASS' | 'MISS' | 'INFO' | 'SKIP';

export interface Row {
  measure: string;
  unit: string;
  ics: number;
  /** Undefined when the figure has no yardstick or it was skipped. */
  yardstick?: number;
  /** ics / yardstick unless stated otherwise. */
  ratio?: number;
  target: string;
  verdict: Verdict;
  /** Every round's values, for the JSON. */
  rounds?: { ics: number[]; yardstick?: number[]; ratios?: number[] };
  note?: string;
}

export interface Figure {
  id: string;
  title: string;
  yardstick: string;
  /** Column names for the two sides; default ICS and Yardstick. */
  labels?: [string, string];
  rows: Row[];
  notes: string[];
}

/** A row where higher is better and the target is `ratio >= min` (no min: informational). */
export function ratioRow(opts: {
  measure: string;
  unit: string;
  ics: number[];
  yardstick: number[] | undefined;
  min?: number;
  note?: string;
  /**
   * The two sides were measured in pairs (round i of each): the ratio is the median of the rounds'
   * own ratios instead of the ratio of the medians, so a round the machine slowed down is compared
   * with its own yardstick.
   */
  paired?: boolean;
}): Row {
  const ics = median(opts.ics);
  const yard = opts.yardstick && opts.yardstick.length > 0 ? median(opts.yardstick) : undefined;
  const pairs =
    opts.paired && opts.yardstick ? opts.ics.map((v, i) => v / (opts.yardstick as number[])[i]) : [];
  const ratio = yard === undefined ? undefined : opts.paired ? median(pairs) : ics / yard;
  let verdict: Verdict = 'INFO';
  if (opts.min !== undefined) verdict = ratio === undefined ? 'SKIP' : ratio >= opts.min ? 'PASS' : 'MISS';
  return {
    measure: opts.measure,
    unit: opts.unit,
    ics,
    yardstick: yard,
    ratio,
    target: opts.min === undefined ? '—' : `≥ ${opts.min} ×`,
    verdict,
    rounds: { ics: opts.ics, yardstick: opts.yardstick, ...(opts.paired && { ratios: pairs }) },
    note: opts.note,
  };
}

const fmt = (n: number | undefined, digits = 1) => {
  if (n === undefined || Number.isNaN(n)) return '—';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(Math.abs(n) < 10 ? Math.max(digits, 2) : digits);
};

export function formatFigure(f: Figure): string {
  const [a, b] = f.labels ?? ['ICS', 'Yardstick'];
  const head = ['Measure', a, b, 'Ratio', 'Target', 'Result'];
  const body = f.rows.map((r) => [
    `${r.measure} (${r.unit})`,
    fmt(r.ics),
    fmt(r.yardstick),
    r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)} ×`,
    r.target,
    r.verdict,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const out = [
    `### ${f.title}`,
    `Yardstick: ${f.yardstick}`,
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ];
  for (const r of f.rows) if (r.note) out.push(`  ${r.measure}: ${r.note}`);
  for (const n of f.notes) out.push(`  note: ${n}`);
  return `${out.join('\n')}\n`;
}

export function summaryLine(figures: Figure[]): string {
  const rows = figures.flatMap((f) => f.rows);
  const count = (v: Verdict) => rows.filter((r) => r.verdict === v).length;
  return `${count('PASS')} PASS, ${count('MISS')} MISS, ${count('SKIP')} SKIP, ${count('INFO')} informational`;
}
