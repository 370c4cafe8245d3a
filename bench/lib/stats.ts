// Percentiles and summaries of latency samples (milliseconds).

/**
 * The q-quantile (0..1) of the samples, by linear interpolation between closest ranks
 * (the "R-7" rule numpy and most spreadsheets use). NaN for no samples.
 */
export function percentile(samples: readonly number[], q: number): number {
  return sortedPercentile(ascending(samples), q);
}

const ascending = (samples: readonly number[]): number[] => [...samples].sort((a, b) => a - b);

function sortedPercentile(sorted: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within 0..1, got ${q}`);
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

export interface LatencySummary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const n = samples.length;
  const sorted = ascending(samples); // once for all three percentiles and the max
  return {
    n,
    mean: n === 0 ? Number.NaN : samples.reduce((sum, x) => sum + x, 0) / n,
    p50: sortedPercentile(sorted, 0.5),
    p95: sortedPercentile(sorted, 0.95),
    p99: sortedPercentile(sorted, 0.99),
    max: n === 0 ? Number.NaN : (sorted[n - 1] as number),
  };
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 0.5);
}

/** a / b, or NaN when either side is missing, so a ratio is never invented from a gap. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) {
    return Number.NaN;
  }
  return a / b;
}
