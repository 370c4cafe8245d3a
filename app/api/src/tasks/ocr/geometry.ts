// Plane geometry for text boxes: convex hull, minimum-area rectangle, DB "unclip", corner ordering.
export type Point = [number, number];
/** Four corners, clockwise from top-left. */
export type Quad = [Point, Point, Point, Point];

export interface RotatedRect {
  cx: number;
  cy: number;
  /** Length along `angle`. */
  width: number;
  /** Length perpendicular to `angle`. */
  height: number;
  /** Direction of the `width` side, radians. */
  angle: number;
}

const cross = (o: Point, a: Point, b: Point): number =>
  (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

/** Convex hull (Andrew's monotone chain), counter-clockwise in y-up terms, without collinear points. */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return sorted;
  const lower: Point[] = [];
  for (const p of sorted) {
    while (
      lower.length >= 2 &&
      cross(lower[lower.length - 2] as Point, lower[lower.length - 1] as Point, p) <= 0
    )
      lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i] as Point;
    while (
      upper.length >= 2 &&
      cross(upper[upper.length - 2] as Point, upper[upper.length - 1] as Point, p) <= 0
    )
      upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/**
 * Smallest-area rectangle enclosing the points (rotating calipers: the optimum has a side on a hull edge).
 * Points on a line give a rectangle of height 0; one point gives 0 × 0.
 */
export function minAreaRect(points: readonly Point[]): RotatedRect {
  const hull = convexHull(points);
  const first = hull[0];
  if (!first) throw new Error('minAreaRect needs at least one point');
  let best: RotatedRect = { cx: first[0], cy: first[1], width: 0, height: 0, angle: 0 };
  let bestArea = Number.POSITIVE_INFINITY;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i] as Point;
    const b = hull[(i + 1) % hull.length] as Point;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len;
    const uy = (b[1] - a[1]) / len;
    let minU = Number.POSITIVE_INFINITY;
    let maxU = Number.NEGATIVE_INFINITY;
    let minV = Number.POSITIVE_INFINITY;
    let maxV = Number.NEGATIVE_INFINITY;
    for (const p of hull) {
      const u = p[0] * ux + p[1] * uy;
      const v = -p[0] * uy + p[1] * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    // Prefer the wider rectangle among equal areas so a flat line of points keeps its length.
    if (area < bestArea - 1e-9 || (area <= bestArea + 1e-9 && maxU - minU > best.width)) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = {
        cx: cu * ux - cv * uy,
        cy: cu * uy + cv * ux,
        width: maxU - minU,
        height: maxV - minV,
        angle: Math.atan2(uy, ux),
      };
    }
  }
  return best;
}

/**
 * DB's unclip: offset the shrunk text region outwards by d = area × ratio / perimeter. For a rectangle, the
 * minimum-area rectangle of the (round-joined) offset polygon is the rectangle grown by d on every side.
 */
export function unclipRect(rect: RotatedRect, ratio: number): RotatedRect {
  const perimeter = 2 * (rect.width + rect.height);
  if (perimeter === 0) return rect;
  const d = (rect.width * rect.height * ratio) / perimeter;
  return { ...rect, width: rect.width + 2 * d, height: rect.height + 2 * d };
}

export function rectCorners(rect: RotatedRect): Point[] {
  const c = Math.cos(rect.angle);
  const s = Math.sin(rect.angle);
  const w = rect.width / 2;
  const h = rect.height / 2;
  return [
    [rect.cx - w * c + h * s, rect.cy - w * s - h * c],
    [rect.cx + w * c + h * s, rect.cy + w * s - h * c],
    [rect.cx + w * c - h * s, rect.cy + w * s + h * c],
    [rect.cx - w * c - h * s, rect.cy - w * s + h * c],
  ];
}

/**
 * Orders four corners clockwise (image coordinates, y down) from the top-left: of the two left-most points the
 * upper one starts, of the two right-most the upper one is second (PaddleOCR's convention).
 */
export function orderQuad(points: readonly Point[]): Quad {
  if (points.length !== 4) throw new Error(`a quad has 4 points, got ${points.length}`);
  const byX = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]) as Quad;
  const [l0, l1, r0, r1] = byX;
  const [topLeft, bottomLeft] = l0[1] <= l1[1] ? [l0, l1] : [l1, l0];
  const [topRight, bottomRight] = r0[1] <= r1[1] ? [r0, r1] : [r1, r0];
  return [topLeft, topRight, bottomRight, bottomLeft];
}

export const distance = (a: Point, b: Point): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
