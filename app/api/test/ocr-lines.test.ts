import { describe, expect, it } from 'vitest';
import type { TextBox } from '../src/tasks/ocr/db-postprocess.js';
import type { Point, Quad } from '../src/tasks/ocr/geometry.js';
import { groupLines, readingOrder, type TextLine } from '../src/tasks/ocr/lines.js';

const options = { maxGap: 2, maxHeightRatio: 1.5 };

/** An axis-aligned w × h box at (x, y), turned by `angle` radians about (cx, cy). */
function box(x: number, y: number, w = 50, h = 20, angle = 0, centre: Point = [0, 0]): TextBox {
  const turn = ([px, py]: Point): Point => [
    centre[0] + (px - centre[0]) * Math.cos(angle) - (py - centre[1]) * Math.sin(angle),
    centre[1] + (px - centre[0]) * Math.sin(angle) + (py - centre[1]) * Math.cos(angle),
  ];
  const quad = [
    [x, y],
    [x + w, y],
    [x + w, y + h],
    [x, y + h],
  ].map((p) => turn(p as Point)) as Quad;
  return { quad, score: 0.9 };
}

const xMin = (q: Quad) => Math.min(...q.map((p) => p[0]));
const xMax = (q: Quad) => Math.max(...q.map((p) => p[0]));

describe('groupLines', () => {
  it('joins words of one line separated by less than maxGap heights, and keeps their boxes', () => {
    // Gaps of 30 px and 35 px at a height of 20: under 2 heights.
    const lines = groupLines([box(90, 101), box(10, 100), box(175, 99)], options);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(xMin(line?.quad as Quad)).toBeCloseTo(10, 0);
    expect(xMax(line?.quad as Quad)).toBeCloseTo(225, 0);
    // The words, left to right.
    expect(line?.words.map((q) => Math.round(xMin(q)))).toEqual([10, 90, 175]);
  });

  it('keeps words apart when the gap is wider than maxGap heights', () => {
    const lines = groupLines([box(10, 100), box(10 + 50 + 41, 100)], options);
    expect(lines).toHaveLength(2);
    expect(groupLines([box(10, 100), box(10 + 50 + 41, 100)], { ...options, maxGap: 2.1 })).toHaveLength(1);
  });

  it('never joins boxes of different lines, nor a heading with body text beside it', () => {
    expect(groupLines([box(10, 100), box(70, 125)], options)).toHaveLength(2);
    expect(groupLines([box(10, 100, 50, 40), box(70, 110, 50, 20)], options)).toHaveLength(2);
  });

  it('maxGap 0 reads every box alone', () => {
    expect(groupLines([box(10, 100), box(65, 100)], { ...options, maxGap: 0 })).toHaveLength(2);
  });

  it('orders lines top to bottom and left to right', () => {
    // Two columns far apart: the left one of each row first, rows top to bottom.
    const boxes = [box(600, 103), box(10, 100), box(600, 10), box(20, 12)];
    const lines = groupLines(boxes, options);
    expect(lines.map((l) => [Math.round(xMin(l.quad)), Math.round(l.quad[0][1])])).toEqual([
      [20, 12],
      [600, 10],
      [10, 100],
      [600, 103],
    ]);
  });

  it('follows a rotated page: words along its slope form lines, read in its own order', () => {
    const angle = (6 * Math.PI) / 180;
    const centre: Point = [300, 200];
    // Line 1: two words; line 2 below it; the whole page turned by 6°.
    const boxes = [box(200, 200, 60, 20, angle, centre), box(100, 150, 60, 20, angle, centre)];
    boxes.push(box(100, 200, 60, 20, angle, centre), box(200, 150, 60, 20, angle, centre));
    const lines = groupLines(boxes, options);
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => l.words.length)).toEqual([2, 2]);
    // The first line is the upper one in the page's own frame (before turning: y = 150).
    const up = (q: Quad) => (q[0][1] + q[1][1] + q[2][1] + q[3][1]) / 4;
    expect(up(lines[0]?.quad as Quad)).toBeLessThan(up(lines[1]?.quad as Quad));
    // The merged box runs along the text: its first edge is the long one.
    const [p0, p1, , p3] = (lines[0] as { quad: Quad }).quad;
    expect(Math.hypot(p1[0] - p0[0], p1[1] - p0[1])).toBeGreaterThan(
      3 * Math.hypot(p3[0] - p0[0], p3[1] - p0[1]),
    );
  });

  it('leaves tall (vertical) boxes alone', () => {
    expect(groupLines([box(10, 10, 20, 80), box(40, 10, 20, 80)], options)).toHaveLength(2);
  });
});

describe('readingOrder', () => {
  const line = (b: TextBox, upsideDown = false): TextLine => ({ ...b, words: [b.quad], upsideDown });
  const yMin = (q: Quad) => Math.min(...q.map((p) => p[1]));

  it('reads a wide banner left to right although its longest box is skewed (one box cannot tilt the page)', () => {
    // 12000 px wide, one baseline: the first box 0.35° off, as the detector draws it on a 12.5× narrower map.
    const start = line(box(0, 15, 514, 40, 0.006, [257, 35]));
    const middle = line(box(5945, 14, 422, 41));
    const end = line(box(11347, 16, 269, 39));
    expect(readingOrder([end, middle, start])).toEqual([start, middle, end]);
  });

  it('follows the text direction: clockwise text right to left, counter-clockwise left to right, 180° bottom up', () => {
    // Three lines of 300 × 40, 80 px apart, in each orientation; index = line number upright.
    const tall = (x: number) => box(x, 20, 40, 300);
    const wide = (y: number) => box(20, y, 300, 40);
    const cases: [string, TextLine[]][] = [
      ['upright', [wide(20), wide(100), wide(180)].map((b) => line(b))],
      ['90° clockwise', [tall(180), tall(100), tall(20)].map((b) => line(b))],
      ['90° counter-clockwise', [tall(20), tall(100), tall(180)].map((b) => line(b, true))],
      ['180°', [wide(180), wide(100), wide(20)].map((b) => line(b, true))],
    ];
    for (const [name, lines] of cases) {
      const shuffled = [lines[1], lines[2], lines[0]] as TextLine[];
      expect(readingOrder(shuffled), name).toEqual(lines);
    }
  });

  it('reads the words of an upside-down line from right to left', () => {
    const words = [box(20, 20, 100, 40), box(140, 20, 100, 40), box(260, 20, 100, 40)].map((b) =>
      line(b, true),
    );
    expect(readingOrder(words).map((l) => Math.round(xMin(l.quad)))).toEqual([260, 140, 20]);
    expect(
      readingOrder(words.map((w) => ({ ...w, upsideDown: false }))).map((l) =>
        Math.round(yMin(l.quad) + xMin(l.quad)),
      ),
    ).toEqual([40, 160, 280]);
  });
});
