// Reads the API's /metrics text: histogram sums and counts per label set, and plain gauges.
// A small sample-line parser, because parse-prometheus-text-format drops the labels, sums and counts
// of labelled histograms, which are exactly what the stage breakdown needs.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key as string] = (value as string).replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The first sample of a metric whose labels include `match`, e.g. `process_resident_memory_bytes`. */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  match: Record<string, string> = {},
): number | undefined {
  return samples.find((s) => s.name === name && labelsMatch(s.labels, match))?.value;
}

function labelsMatch(labels: Record<string, string>, match: Record<string, string>): boolean {
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

export interface HistogramTotals {
  sum: number;
  count: number;
}

/**
 * Sum and count of the histogram series that carry `label`, keyed by that label's value and added up
 * over the other labels: label `stage` gives { decode: {sum, count}, detection: ... }. `metric` narrows
 * it to one histogram (its base name, without `_sum`/`_count`).
 */
export function histogramTotalsBy(
  samples: readonly Sample[],
  label: string,
  metric?: string,
): Map<string, HistogramTotals> {
  const totals = new Map<string, HistogramTotals>();
  for (const s of samples) {
    const key = s.labels[label];
    if (key === undefined) continue;
    const field = s.name.endsWith('_sum') ? 'sum' : s.name.endsWith('_count') ? 'count' : undefined;
    if (!field) continue;
    if (metric !== undefined && s.name !== `${metric}_${field}`) continue;
    const entry = totals.get(key) ?? { sum: 0, count: 0 };
    entry[field] += s.value;
    totals.set(key, entry);
  }
  return totals;
}

/**
 * Mean seconds per request spent in each stage between two scrapes: (sum after - sum before) divided by
 * the number of requests made in between. Stages that did not run are left out.
 */
export function stageMeans(
  before: Map<string, HistogramTotals>,
  after: Map<string, HistogramTotals>,
  requests: number,
): Record<string, number> {
  const means: Record<string, number> = {};
  if (requests <= 0) return means;
  for (const [stage, end] of after) {
    const start = before.get(stage) ?? { sum: 0, count: 0 };
    if (end.count - start.count <= 0) continue;
    means[stage] = (end.sum - start.sum) / requests;
  }
  return means;
}
