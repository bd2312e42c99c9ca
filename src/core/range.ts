/** The outcome of reading a Range header against a representation of `size` bytes (RFC 9110 §14). */
export type RangeResult =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

const SINGLE = /^bytes=(\d*)-(\d*)$/;

/**
 * Only one `bytes` range is served; a malformed or multi-range header is ignored (full response),
 * which RFC 9110 permits. Ends past the last byte are clamped. Positions are compared exactly,
 * however many digits they have (BigInt), so numbers beyond 2^53 follow the same rules as small
 * ones: a first position past the end is 416, a last position past it is clamped, a suffix longer
 * than the file is the whole file, and last < first is ignored.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' };
  const m = SINGLE.exec(header.trim().replace(/\s+/g, ''));
  if (!m) return { kind: 'full' };
  const [, first, last] = m;
  if (first === '' && last === '') return { kind: 'full' };
  const length = BigInt(size);
  if (first === '') {
    const suffix = BigInt(last);
    if (suffix === 0n || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: suffix >= length ? 0 : size - Number(suffix), end: size - 1 };
  }
  const start = BigInt(first);
  if (last !== '' && BigInt(last) < start) return { kind: 'full' };
  if (start >= length) return { kind: 'unsatisfiable' };
  const end = last === '' || BigInt(last) >= length ? size - 1 : Number(last);
  return { kind: 'partial', start: Number(start), end };
}
