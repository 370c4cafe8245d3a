// Number formatting for the results.

/** 0.8734 → "87%"; 0.05 → "5%". */
export function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

/** A duration in milliseconds, readable at a glance: "84 ms", "1.42 s". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
