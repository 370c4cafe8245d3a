import { describe, expect, it } from 'vitest';
import { padQuad, quadSize } from '../src/tasks/ocr/crop.js';
import {
  convexHull,
  minAreaRect,
  orderQuad,
  type Point,
  type Quad,
  rectCorners,
  unclipRect,
} from '../src/tasks/ocr/geometry.js';

const rotate = ([x, y]: Point, angle: number, [cx, cy]: Point = [0, 0]): Point => [
  cx + (x - cx) * Math.cos(angle) - (y - cy) * Math.sin(angle),
  cy + (x - cx) * Math.sin(angle) + (y - cy) * Math.cos(angle),
];

/** Integer grid points filling a w × h rectangle at (x0, y0). */
function filledRect(x0: number, y0: number, w: number, h: number): Point[] {
  const points: Point[] = [];
  for (let y = y0; y <= y0 + h; y++) for (let x = x0; x <= x0 + w; x++) points.push([x, y]);
  return points;
}

describe('convexHull', () => {
  it('keeps only the corners of a filled rectangle', () => {
    const hull = convexHull(filledRect(2, 3, 10, 4));
    expect(hull).toHaveLength(4);
    expect(new Set(hull.map((p) => p.join(',')))).toEqual(new Set(['2,3', '12,3', '12,7', '2,7']));
  });

  it('handles one and two points', () => {
    expect(convexHull([[1, 1]])).toEqual([[1, 1]]);
    expect(
      convexHull([
        [5, 0],
        [1, 1],
      ]),
    ).toEqual([
      [1, 1],
      [5, 0],
    ]);
  });
});

describe('minAreaRect', () => {
  it('fits an axis-aligned rectangle exactly', () => {
    const r = minAreaRect(filledRect(10, 20, 40, 8));
    expect(r.width * r.height).toBeCloseTo(320, 6);
    expect(Math.max(r.width, r.height)).toBeCloseTo(40, 6);
    expect(Math.min(r.width, r.height)).toBeCloseTo(8, 6);
    expect(r.cx).toBeCloseTo(30, 6);
    expect(r.cy).toBeCloseTo(24, 6);
  });

  it('finds the rotation of a rotated rectangle (not its bounding box)', () => {
    const angle = (25 * Math.PI) / 180;
    const corners = [
      [0, 0],
      [60, 0],
      [60, 10],
      [0, 10],
    ].map((p) => rotate(p as Point, angle, [30, 5]));
    const inner = [
      [30, 5],
      [10, 2],
      [50, 8],
    ].map((p) => rotate(p as Point, angle, [30, 5]));
    const r = minAreaRect([...corners, ...inner]);
    expect(r.width * r.height).toBeCloseTo(600, 4);
    expect(Math.max(r.width, r.height)).toBeCloseTo(60, 4);
    // The long side runs at 25° (mod 180°).
    const longAngle = r.width >= r.height ? r.angle : r.angle + Math.PI / 2;
    expect(Math.abs(Math.sin(longAngle - angle))).toBeLessThan(1e-6);
    expect(r.cx).toBeCloseTo(30, 6);
    expect(r.cy).toBeCloseTo(5, 6);
  });

  it('gives a zero-height rectangle for collinear points, and 0 × 0 for one point', () => {
    const line = minAreaRect([
      [0, 0],
      [4, 0],
      [9, 0],
    ]);
    expect(line.width).toBeCloseTo(9, 9);
    expect(line.height).toBeCloseTo(0, 9);
    expect(minAreaRect([[3, 4]])).toMatchObject({ cx: 3, cy: 4, width: 0, height: 0 });
  });

  it('refuses an empty point set', () => {
    expect(() => minAreaRect([])).toThrow(/at least one point/);
  });
});

describe('unclipRect', () => {
  it('grows each side by area × ratio / perimeter', () => {
    const d = (100 * 10 * 1.5) / (2 * (100 + 10));
    const grown = unclipRect({ cx: 50, cy: 5, width: 100, height: 10, angle: 0.3 }, 1.5);
    expect(grown.width).toBeCloseTo(100 + 2 * d, 9);
    expect(grown.height).toBeCloseTo(10 + 2 * d, 9);
    expect(grown).toMatchObject({ cx: 50, cy: 5, angle: 0.3 });
  });

  it('leaves a degenerate rectangle alone', () => {
    const point = { cx: 1, cy: 1, width: 0, height: 0, angle: 0 };
    expect(unclipRect(point, 2)).toEqual(point);
  });
});

describe('rectCorners and orderQuad', () => {
  it('orders corners clockwise from the top-left whatever the input order', () => {
    const quad: Quad = [
      [10, 20],
      [110, 20],
      [110, 50],
      [10, 50],
    ];
    for (const shuffled of [
      [2, 0, 3, 1],
      [3, 2, 1, 0],
      [1, 3, 0, 2],
    ]) {
      expect(orderQuad(shuffled.map((i) => quad[i] as Point))).toEqual(quad);
    }
  });

  it('orders a slightly rotated box so the first side is its top', () => {
    const corners = rectCorners({ cx: 100, cy: 50, width: 160, height: 30, angle: -0.05 });
    const [tl, tr, br, bl] = orderQuad(corners);
    expect(tl[0]).toBeLessThan(tr[0]);
    expect(bl[0]).toBeLessThan(br[0]);
    expect(tl[1]).toBeLessThan(bl[1]);
    expect(tr[1]).toBeLessThan(br[1]);
    expect(Math.hypot(tr[0] - tl[0], tr[1] - tl[1])).toBeCloseTo(160, 6);
  });

  it('refuses anything but four points', () => {
    expect(() =>
      orderQuad([
        [0, 0],
        [1, 1],
        [2, 2],
      ]),
    ).toThrow(/4 points/);
  });
});

describe('padQuad and quadSize', () => {
  const quad: Quad = [
    [10, 10],
    [110, 10],
    [110, 30],
    [10, 30],
  ];

  it('adds margin × height above and below horizontal text', () => {
    expect(padQuad(quad, 0.25)).toEqual([
      [10, 5],
      [110, 5],
      [110, 35],
      [10, 35],
    ]);
    expect(padQuad(quad, 0)).toBe(quad);
  });

  it('adds the margin left and right of vertical text', () => {
    const tall: Quad = [
      [10, 10],
      [30, 10],
      [30, 110],
      [10, 110],
    ];
    expect(padQuad(tall, 0.25, true)).toEqual([
      [5, 10],
      [35, 10],
      [35, 110],
      [5, 110],
    ]);
  });

  it('measures the longer of opposite sides', () => {
    expect(
      quadSize([
        [0, 0],
        [100, 0],
        [90, 20],
        [0, 10],
      ]),
    ).toEqual({ width: 100, height: Math.hypot(10, 20) });
  });
});
