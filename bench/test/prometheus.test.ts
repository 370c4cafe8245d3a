import { describe, expect, it } from 'vitest';
import { histogramTotalsBy, parseSamples, sampleValue, stageMeans } from '../lib/prometheus.js';

// The shape prom-client writes, labels in the order the API declares them.
const scrape = (decodeSum: number, decodeCount: number, detSum: number) => `
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 314572800

# HELP modelship_inference_stage_duration_seconds Time per inference stage
# TYPE modelship_inference_stage_duration_seconds histogram
modelship_inference_stage_duration_seconds_bucket{le="0.001",model="ocr",stage="decode"} 0
modelship_inference_stage_duration_seconds_bucket{le="+Inf",model="ocr",stage="decode"} ${decodeCount}
modelship_inference_stage_duration_seconds_sum{model="ocr",stage="decode"} ${decodeSum}
modelship_inference_stage_duration_seconds_count{model="ocr",stage="decode"} ${decodeCount}
modelship_inference_stage_duration_seconds_sum{model="ocr",stage="detection"} ${detSum}
modelship_inference_stage_duration_seconds_count{model="ocr",stage="detection"} ${decodeCount}
modelship_inference_stage_duration_seconds_sum{model="other",stage="detection"} 1
modelship_inference_stage_duration_seconds_count{model="other",stage="detection"} 1
other_histogram_sum{stage="decode"} 99
other_histogram_count{stage="decode"} 99
`;

describe('parseSamples', () => {
  it('reads names, labels and values, skipping comments and blank lines', () => {
    const samples = parseSamples(scrape(0.5, 10, 2));
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBe(314572800);
    expect(sampleValue(samples, 'modelship_inference_stage_duration_seconds_bucket', { le: '+Inf' })).toBe(
      10,
    );
    expect(
      sampleValue(samples, 'modelship_inference_stage_duration_seconds_sum', {
        stage: 'detection',
        model: 'other',
      }),
    ).toBe(1);
    expect(sampleValue(samples, 'missing_metric')).toBeUndefined();
  });

  it('unescapes label values and accepts a trailing timestamp', () => {
    const [sample] = parseSamples('m{path="C:\\\\DIR",msg="say \\"hi\\"\\n"} 3.5e2 1395066363000');
    expect(sample).toEqual({ name: 'm', labels: { path: 'C:\\DIR', msg: 'say "hi"\n' }, value: 350 });
  });

  it('ignores lines that are not samples', () => {
    expect(parseSamples('garbage here now\n{x="1"} 2\n')).toEqual([]);
  });
});

describe('histogramTotalsBy and stageMeans', () => {
  it('adds up one histogram per label value, over the other labels', () => {
    const totals = histogramTotalsBy(
      parseSamples(scrape(0.5, 10, 2)),
      'stage',
      'modelship_inference_stage_duration_seconds',
    );
    expect(totals.get('decode')).toEqual({ sum: 0.5, count: 10 });
    expect(totals.get('detection')).toEqual({ sum: 3, count: 11 });
  });

  it('gives mean seconds per request between two scrapes', () => {
    const metric = 'modelship_inference_stage_duration_seconds';
    const before = histogramTotalsBy(parseSamples(scrape(0.5, 10, 2)), 'stage', metric);
    const after = histogramTotalsBy(parseSamples(scrape(0.9, 14, 2.8)), 'stage', metric);
    const means = stageMeans(before, after, 4);
    expect(means.decode).toBeCloseTo(0.1, 10);
    expect(means.detection).toBeCloseTo(0.2, 10);
  });

  it('leaves out stages that did not run and guards against zero requests', () => {
    const metric = 'modelship_inference_stage_duration_seconds';
    const same = histogramTotalsBy(parseSamples(scrape(0.5, 10, 2)), 'stage', metric);
    expect(stageMeans(same, same, 5)).toEqual({});
    expect(stageMeans(new Map(), same, 0)).toEqual({});
  });
});
