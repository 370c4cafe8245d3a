// DB (Differentiable Binarization) post-processing: probability map -> text boxes in original-image pixels.
import {
  minAreaRect,
  orderQuad,
  type Point,
  type Quad,
  type RotatedRect,
  rectCorners,
  unclipRect,
} from './geometry.js';

export interface DbOptions {
  threshold: number;
  boxThreshold: number;
  unclipRatio: number;
  minBoxSize: number;
  maxCandidates: number;
}

export interface ProbabilityMap {
  data: Float32Array;
  width: number;
  height: number;
}

export interface TextBox {
  /** Clockwise from top-left, original-image pixels (integers, inside the image). */
  quad: Quad;
  /** Mean probability inside the (shrunk) region. */
  score: number;
}

/**
 * Binarises the map, takes each 8-connected region, fits its minimum-area rectangle, scores it, grows it back
 * to the full text size (unclip) and maps it to an image of `imageWidth` × `imageHeight` pixels.
 */
export function boxesFromProbabilityMap(
  map: ProbabilityMap,
  imageWidth: number,
  imageHeight: number,
  options: DbOptions,
): TextBox[] {
  const { width, height, data } = map;
  const scaleX = imageWidth / width;
  const scaleY = imageHeight / height;
  const boxes: TextBox[] = [];
  for (const points of regionOutlines(map, options.threshold, options.maxCandidates)) {
    const rect = minAreaRect(points);
    if (Math.min(rect.width, rect.height) < options.minBoxSize) continue;
    const score = meanInsideRect(data, width, height, rect);
    if (score < options.boxThreshold) continue;
    const grown = unclipRect(rect, options.unclipRatio);
    if (Math.min(grown.width, grown.height) < options.minBoxSize + 2) continue;
    const corners = rectCorners(grown).map(
      ([x, y]): Point => [
        clamp(Math.round(x * scaleX), 0, imageWidth - 1),
        clamp(Math.round(y * scaleY), 0, imageHeight - 1),
      ],
    );
    const quad = orderQuad(corners);
    // Boxes squashed against the border or too small to read are noise.
    if (Math.hypot(quad[1][0] - quad[0][0], quad[1][1] - quad[0][1]) <= 3) continue;
    if (Math.hypot(quad[3][0] - quad[0][0], quad[3][1] - quad[0][1]) <= 3) continue;
    boxes.push({ quad, score });
  }
  return boxes;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/**
 * The 8-connected regions of `map > threshold`, each as its left-most and right-most pixel per row: enough for
 * the convex hull, and far fewer points than the region. Largest-first is not needed; at most `max` regions.
 */
export function regionOutlines(map: ProbabilityMap, threshold: number, max: number): Point[][] {
  const { width, height, data } = map;
  const size = width * height;
  const { state, stack } = scratchFor(size);
  // 0 = background, 1 = unvisited text, 2 = visited.
  for (let i = 0; i < size; i++) state[i] = (data[i] as number) > threshold ? 1 : 0;
  const rowMin = new Int32Array(height).fill(width);
  const rowMax = new Int32Array(height).fill(-1);
  const regions: Point[][] = [];
  for (let start = 0; start < size && regions.length < max; start++) {
    if (state[start] !== 1) continue;
    let top = 0;
    stack[top++] = start;
    state[start] = 2;
    let yMin = height;
    let yMax = -1;
    while (top > 0) {
      const i = stack[--top] as number;
      const y = (i / width) | 0;
      const x = i - y * width;
      if (x < (rowMin[y] as number)) rowMin[y] = x;
      if (x > (rowMax[y] as number)) rowMax[y] = x;
      if (y < yMin) yMin = y;
      if (y > yMax) yMax = y;
      const x0 = x > 0 ? x - 1 : x;
      const x1 = x < width - 1 ? x + 1 : x;
      const y0 = y > 0 ? y - 1 : y;
      const y1 = y < height - 1 ? y + 1 : y;
      for (let ny = y0; ny <= y1; ny++) {
        const row = ny * width;
        for (let nx = x0; nx <= x1; nx++) {
          const j = row + nx;
          if (state[j] === 1) {
            state[j] = 2;
            stack[top++] = j;
          }
        }
      }
    }
    const points: Point[] = [];
    for (let y = yMin; y <= yMax; y++) {
      const lo = rowMin[y] as number;
      const hi = rowMax[y] as number;
      points.push([lo, y]);
      if (hi !== lo) points.push([hi, y]);
      rowMin[y] = width;
      rowMax[y] = -1;
    }
    regions.push(points);
  }
  return regions;
}

// The flood fill's pixel states and stack, kept between calls (this runs synchronously, one call at a time per
// thread): fresh megabytes cost a page fault per 4 KiB on first write. Both are fully written before being read.
let scratch = { state: new Uint8Array(0), stack: new Int32Array(0) };
function scratchFor(size: number) {
  if (scratch.state.length < size) scratch = { state: new Uint8Array(size), stack: new Int32Array(size) };
  return { state: scratch.state, stack: scratch.stack };
}

/** Mean of the map over the pixels whose centres lie inside the rotated rectangle (DB's "fast" box score). */
export function meanInsideRect(data: Float32Array, width: number, height: number, rect: RotatedRect): number {
  const corners = rectCorners(rect);
  const ys = corners.map((p) => p[1]);
  const yStart = Math.max(0, Math.ceil(Math.min(...ys) - 1e-6));
  const yEnd = Math.min(height - 1, Math.floor(Math.max(...ys) + 1e-6));
  let sum = 0;
  let count = 0;
  for (let y = yStart; y <= yEnd; y++) {
    // The rectangle is convex: the row meets it in one interval, bounded by its edge crossings.
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < 4; k++) {
      const a = corners[k] as Point;
      const b = corners[(k + 1) % 4] as Point;
      if ((a[1] <= y && b[1] >= y) || (b[1] <= y && a[1] >= y)) {
        const x = a[1] === b[1] ? null : a[0] + ((y - a[1]) * (b[0] - a[0])) / (b[1] - a[1]);
        for (const v of x === null ? [a[0], b[0]] : [x]) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
    }
    const xStart = Math.max(0, Math.ceil(lo - 1e-6));
    const xEnd = Math.min(width - 1, Math.floor(hi + 1e-6));
    const row = y * width;
    for (let x = xStart; x <= xEnd; x++) sum += data[row + x] as number;
    if (xEnd >= xStart) count += xEnd - xStart + 1;
  }
  return count === 0 ? 0 : sum / count;
}
