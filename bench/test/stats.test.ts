import { describe, expect, it } from 'vitest';
import { loadSeconds } from '../lib/load.js';
import { median, percentile, ratio, summarize } from '../lib/stats.js';

describe('percentile', () => {
  it('interpolates between closest ranks (R-7, as numpy)', () => {
    const xs = [15, 20, 35, 40, 50];
    expect(percentile(xs, 0)).toBe(15);
    expect(percentile(xs, 1)).toBe(50);
    expect(percentile(xs, 0.5)).toBe(35);
    expect(percentile(xs, 0.4)).toBeCloseTo(29, 10); // position 1.6: 20 + 0.6 × 15
    expect(percentile(xs, 0.95)).toBeCloseTo(48, 10); // position 3.8: 40 + 0.8 × 10
  });

  it('does not depend on input order and leaves the input alone', () => {
    const xs = [50, 15, 40, 20, 35];
    expect(percentile(xs, 0.95)).toBeCloseTo(48, 10);
    expect(xs).toEqual([50, 15, 40, 20, 35]);
  });

  it('gives the one sample for any quantile, NaN for none', () => {
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('rejects quantiles outside 0..1', () => {
    expect(() => percentile([1, 2], 95)).toThrow(RangeError);
    expect(() => percentile([1, 2], -0.1)).toThrow(RangeError);
    expect(() => percentile([1, 2], Number.NaN)).toThrow(RangeError);
  });

  it('p99 of 1..100 sits between the two top samples', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 0.99)).toBeCloseTo(99.01, 10);
    expect(median(xs)).toBe(50.5);
  });
});

describe('summarize', () => {
  it('reports count, mean, p50, p95, p99 and max', () => {
    const s = summarize([4, 1, 3, 2]);
    expect(s).toEqual({
      n: 4,
      mean: 2.5,
      p50: 2.5,
      p95: expect.closeTo(3.85, 10),
      p99: expect.closeTo(3.97, 10),
      max: 4,
    });
  });

  it('is all NaN for no samples, with n = 0', () => {
    const s = summarize([]);
    expect(s.n).toBe(0);
    expect(s.mean).toBeNaN();
    expect(s.max).toBeNaN();
  });
});

describe('ratio', () => {
  it('divides, and is NaN rather than invented when a side is missing or zero', () => {
    expect(ratio(30, 60)).toBe(0.5);
    expect(ratio(undefined, 60)).toBeNaN();
    expect(ratio(30, 0)).toBeNaN();
    expect(ratio(Number.NaN, 1)).toBeNaN();
  });
});

describe('loadSeconds', () => {
  it('keeps the base length when requests are quick', () => {
    expect(loadSeconds(12, 200, 8, 2)).toBe(12);
  });

  it('stretches to three rounds of queued requests, capped at three times the base', () => {
    // 8 connections on 2 workers: 4 rounds of 2 s each, three times over = 24 s.
    expect(loadSeconds(12, 2000, 8, 2)).toBe(24);
    expect(loadSeconds(3, 5000, 8, 2)).toBe(9);
  });
});
