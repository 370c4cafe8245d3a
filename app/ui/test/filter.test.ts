import { describe, expect, it } from 'vitest';
import { CONFIDENCE_FLOOR, clampConfidence, filterByConfidence, rankClasses } from '../web/src/filter.js';
import { duration, percent } from '../web/src/format.js';

const det = (text: string, confidence: number) => ({
  x_min: 0,
  y_min: 0,
  x_max: 1,
  y_max: 1,
  class_name: 'text',
  text,
  confidence,
});

describe('filterByConfidence', () => {
  const detections = [det('a', 0.9), det('b', 0.3), det('c', 0.5), det('d', 0.49999)];

  it('keeps detections at or above the threshold, in the API order, with their original index', () => {
    expect(filterByConfidence(detections, 0.5)).toEqual([
      { index: 0, item: detections[0] },
      { index: 2, item: detections[2] },
    ]);
  });

  it('keeps everything at 0 and nothing above the best score', () => {
    expect(filterByConfidence(detections, 0)).toHaveLength(4);
    expect(filterByConfidence(detections, 0.95)).toEqual([]);
    expect(filterByConfidence([], 0.5)).toEqual([]);
  });

  it('clamps thresholds outside 0..1 and treats NaN as 0', () => {
    expect(filterByConfidence(detections, -1)).toHaveLength(4);
    expect(filterByConfidence(detections, Number.NaN)).toHaveLength(4);
    expect(filterByConfidence([det('sure', 1)], 7)).toHaveLength(1);
    expect(clampConfidence(Number.POSITIVE_INFINITY)).toBe(0);
    expect(clampConfidence(0.42)).toBe(0.42);
  });

  it('asks the API for a low floor, so the slider has something to filter', () => {
    expect(CONFIDENCE_FLOOR).toBeGreaterThan(0);
    expect(CONFIDENCE_FLOOR).toBeLessThan(0.5);
  });
});

describe('rankClasses', () => {
  it('sorts classes by confidence, best first, and drops those under the threshold', () => {
    const classes = [
      { class_id: 1, class_name: 'cat', confidence: 0.2 },
      { class_id: 2, class_name: 'dog', confidence: 0.7 },
      { class_id: 3, class_name: 'fox', confidence: 0.05 },
    ];
    expect(rankClasses(classes, 0.1).map((c) => c.class_name)).toEqual(['dog', 'cat']);
    expect(classes[0]?.class_name).toBe('cat'); // the response itself is left alone
  });
});

describe('format', () => {
  it('shows percentages and durations the way people read them', () => {
    expect(percent(0.8734)).toBe('87%');
    expect(percent(1)).toBe('100%');
    expect(duration(84.4)).toBe('84 ms');
    expect(duration(1420)).toBe('1.42 s');
    expect(duration(Number.NaN)).toBe('–');
  });
});
