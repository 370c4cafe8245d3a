import { describe, expect, it } from 'vitest';
import {
  boxesFromProbabilityMap,
  type DbOptions,
  meanInsideRect,
  type ProbabilityMap,
  regionOutlines,
} from '../src/tasks/ocr/db-postprocess.js';

const options: DbOptions = {
  threshold: 0.3,
  boxThreshold: 0.6,
  unclipRatio: 1.5,
  minBoxSize: 3,
  maxCandidates: 1000,
};

/** A width × height map, zero but for the given rectangles filled with `p`. */
function probabilityMap(
  width: number,
  height: number,
  rects: [number, number, number, number, number][],
): ProbabilityMap {
  const data = new Float32Array(width * height);
  for (const [x0, y0, w, h, p] of rects) {
    for (let y = y0; y < y0 + h; y++) data.fill(p, y * width + x0, y * width + x0 + w);
  }
  return { data, width, height };
}

describe('regionOutlines', () => {
  it('finds each 8-connected region, as the ends of its rows', () => {
    const map = probabilityMap(20, 10, [
      [1, 1, 5, 2, 0.9],
      [6, 3, 2, 1, 0.9], // touches the first region diagonally only
      [12, 6, 4, 3, 0.9],
      [0, 9, 3, 1, 0.2], // below the threshold
    ]);
    const regions = regionOutlines(map, 0.3, 100);
    expect(regions).toHaveLength(2);
    expect(regions[0]).toEqual([
      [1, 1],
      [5, 1],
      [1, 2],
      [5, 2],
      [6, 3],
      [7, 3],
    ]);
    expect(regions[1]).toEqual([
      [12, 6],
      [15, 6],
      [12, 7],
      [15, 7],
      [12, 8],
      [15, 8],
    ]);
  });

  it('stops at the candidate limit', () => {
    const map = probabilityMap(30, 3, [
      [0, 0, 2, 2, 1],
      [10, 0, 2, 2, 1],
      [20, 0, 2, 2, 1],
    ]);
    expect(regionOutlines(map, 0.3, 2)).toHaveLength(2);
  });

  it('gives the same regions whatever maps came before (its buffers are reused between calls)', () => {
    const small = probabilityMap(12, 6, [[2, 1, 4, 3, 0.9]]);
    const first = regionOutlines(small, 0.3, 100);
    // A larger map full of text, then the small one again: nothing of the large one may leak into it.
    regionOutlines(probabilityMap(40, 30, [[0, 0, 40, 30, 1]]), 0.3, 100);
    expect(regionOutlines(small, 0.3, 100)).toEqual(first);
    expect(first).toEqual([
      [
        [2, 1],
        [5, 1],
        [2, 2],
        [5, 2],
        [2, 3],
        [5, 3],
      ],
    ]);
  });
});

describe('meanInsideRect', () => {
  it('averages the pixels whose centres fall inside the rectangle', () => {
    const map = probabilityMap(10, 10, [
      [2, 2, 4, 2, 1],
      [2, 4, 4, 2, 0.5],
    ]);
    // Rectangle covering pixels x 2..5, y 2..5: half at 1, half at 0.5.
    expect(meanInsideRect(map.data, 10, 10, { cx: 3.5, cy: 3.5, width: 3, height: 3, angle: 0 })).toBeCloseTo(
      0.75,
      6,
    );
    expect(meanInsideRect(map.data, 10, 10, { cx: 50, cy: 50, width: 2, height: 2, angle: 0 })).toBe(0);
  });
});

describe('boxesFromProbabilityMap', () => {
  it('grows a region back and maps it to image pixels', () => {
    // Region x 10..49, y 20..29 in a 64 × 64 map of a 128 × 96 image (scale 2 × 1.5).
    const map = probabilityMap(64, 64, [[10, 20, 40, 10, 0.9]]);
    const [box, ...rest] = boxesFromProbabilityMap(map, 128, 96, options);
    expect(rest).toHaveLength(0);
    expect(box?.score).toBeCloseTo(0.9, 5);
    // The outline spans 39 × 9 (pixel centres); unclip adds d = 39 × 9 × 1.5 / 96 on each side.
    const d = (39 * 9 * 1.5) / 96;
    expect(box?.quad).toEqual([
      [Math.round((10 - d) * 2), Math.round((20 - d) * 1.5)],
      [Math.round((49 + d) * 2), Math.round((20 - d) * 1.5)],
      [Math.round((49 + d) * 2), Math.round((29 + d) * 1.5)],
      [Math.round((10 - d) * 2), Math.round((29 + d) * 1.5)],
    ]);
  });

  it('drops faint regions, thin regions, and clips to the image', () => {
    const map = probabilityMap(64, 32, [
      [2, 2, 30, 8, 0.5], // above the threshold, below the box threshold
      [2, 14, 30, 2, 0.9], // 1 px high outline: thinner than minBoxSize
      [40, 20, 24, 10, 0.95], // runs off the right edge
    ]);
    const boxes = boxesFromProbabilityMap(map, 64, 32, options);
    expect(boxes).toHaveLength(1);
    for (const [x, y] of boxes[0]?.quad ?? []) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(63);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(31);
    }
  });

  it('returns nothing for an empty map', () => {
    expect(boxesFromProbabilityMap(probabilityMap(32, 32, []), 32, 32, options)).toEqual([]);
  });
});
