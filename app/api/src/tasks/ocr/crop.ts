// Cuts a text region out of the image as an upright strip: a perspective warp of its quad, sampled bilinearly
// straight at the size the recogniser wants (one pass, no intermediate crop).
import type { RgbImage } from '../types.js';
import { distance, type Point, type Quad } from './geometry.js';

/** The region's natural size in source pixels (PaddleOCR: the longer of each pair of opposite sides). */
export function quadSize(quad: Quad): { width: number; height: number } {
  return {
    width: Math.max(distance(quad[0], quad[1]), distance(quad[3], quad[2])),
    height: Math.max(distance(quad[0], quad[3]), distance(quad[1], quad[2])),
  };
}

/** Vertical text (a region at least 1.5 times taller than wide) is turned 90° counter-clockwise to read left to right. */
export const isTall = (size: { width: number; height: number }): boolean => size.height >= 1.5 * size.width;

/**
 * Grows the quad across its lines of text by `margin` × its height on each side: the top and bottom edges move
 * apart (for `vertical` text, the left and right edges). The recogniser reads tight crops worse: it tends to
 * drop the spaces between words.
 */
export function padQuad(quad: Quad, margin: number, vertical = false): Quad {
  if (margin === 0) return quad;
  const apart = (p: Point, q: Point): [Point, Point] => {
    const dx = (p[0] - q[0]) * margin;
    const dy = (p[1] - q[1]) * margin;
    return [
      [p[0] + dx, p[1] + dy],
      [q[0] - dx, q[1] - dy],
    ];
  };
  const [p0, p1, p2, p3] = quad;
  if (vertical) {
    const [l0, r1] = apart(p0, p1);
    const [l3, r2] = apart(p3, p2);
    return [l0, r1, r2, l3];
  }
  const [t0, b3] = apart(p0, p3);
  const [t1, b2] = apart(p1, p2);
  return [t0, t1, b2, b3];
}

/**
 * Lengthens the quad along its text by `margin` × its height at each end (for `vertical` text, at the top and
 * bottom). DB's regions end close to the last glyph's core, so a final full stop or comma sits on the edge.
 */
export function extendQuad(quad: Quad, margin: number, vertical = false): Quad {
  if (margin === 0) return quad;
  const [p0, p1, p2, p3] = quad;
  // Direction along the text and the text's height.
  const [a, b] = vertical ? [p3, p0] : [p1, p0];
  const length = distance(a, b) || 1;
  const height = vertical ? distance(p0, p1) : distance(p0, p3);
  const dx = ((a[0] - b[0]) / length) * margin * height;
  const dy = ((a[1] - b[1]) / length) * margin * height;
  const back = (p: Point): Point => [p[0] - dx, p[1] - dy];
  const ahead = (p: Point): Point => [p[0] + dx, p[1] + dy];
  return vertical ? [back(p0), back(p1), ahead(p2), ahead(p3)] : [back(p0), ahead(p1), ahead(p2), back(p3)];
}

/**
 * Samples the quad into an `outWidth` × `outHeight` RGB image, the quad's top-left corner at the output's
 * top-left (or, when `rotate`, its top-right corner, i.e. turned 90° counter-clockwise). Pixels outside the
 * image repeat the border. When shrinking by more than 2×, several samples per output pixel are averaged.
 */
export function warpQuad(
  image: RgbImage,
  quad: Quad,
  outWidth: number,
  outHeight: number,
  rotate = false,
): RgbImage {
  const { width: W, height: H, data: src } = image;
  const out = new Uint8Array(outWidth * outHeight * 3);
  const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = quad;
  // Projective map of the unit square onto the quad (Heckbert): (u,v) -> ((a u + b v + c)/w, (d u + e v + f)/w),
  // w = g u + h v + 1, with (0,0),(1,0),(1,1),(0,1) -> corners 0,1,2,3.
  const sx = x0 - x1 + x2 - x3;
  const sy = y0 - y1 + y2 - y3;
  let g = 0;
  let h = 0;
  if (sx !== 0 || sy !== 0) {
    const dx1 = x1 - x2;
    const dx2 = x3 - x2;
    const dy1 = y1 - y2;
    const dy2 = y3 - y2;
    const den = dx1 * dy2 - dx2 * dy1;
    if (den !== 0) {
      g = (sx * dy2 - dx2 * sy) / den;
      h = (dx1 * sy - sx * dy1) / den;
    }
  }
  const a = x1 - x0 + g * x1;
  const b = x3 - x0 + h * x3;
  const d = y1 - y0 + g * y1;
  const e = y3 - y0 + h * y3;

  const natural = quadSize(quad);
  const [natW, natH] = rotate ? [outHeight, outWidth] : [outWidth, outHeight];
  const shrink = Math.max(natural.width / natW, natural.height / natH);
  const n = Math.min(4, Math.max(1, Math.ceil(shrink - 0.5)));
  const inv = 1 / (n * n);
  const maxX = W - 1;
  const maxY = H - 1;
  let o = 0;
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      let r = 0;
      let gr = 0;
      let bl = 0;
      for (let sj = 0; sj < n; sj++) {
        for (let si = 0; si < n; si++) {
          const px = (ox + (si + 0.5) / n) / outWidth;
          const py = (oy + (sj + 0.5) / n) / outHeight;
          // Rotated output: its columns run down the region, its rows run right to left.
          const u = rotate ? 1 - py : px;
          const v = rotate ? px : py;
          const w = g * u + h * v + 1;
          const x = Math.min(Math.max((a * u + b * v + x0) / w - 0.5, 0), maxX);
          const y = Math.min(Math.max((d * u + e * v + y0) / w - 0.5, 0), maxY);
          const xi = x | 0;
          const yi = y | 0;
          const fx = x - xi;
          const fy = y - yi;
          const xn = xi < maxX ? 3 : 0;
          const yn = yi < maxY ? W * 3 : 0;
          const p = (yi * W + xi) * 3;
          const w00 = (1 - fx) * (1 - fy);
          const w10 = fx * (1 - fy);
          const w01 = (1 - fx) * fy;
          const w11 = fx * fy;
          r +=
            (src[p] as number) * w00 +
            (src[p + xn] as number) * w10 +
            (src[p + yn] as number) * w01 +
            (src[p + yn + xn] as number) * w11;
          gr +=
            (src[p + 1] as number) * w00 +
            (src[p + xn + 1] as number) * w10 +
            (src[p + yn + 1] as number) * w01 +
            (src[p + yn + xn + 1] as number) * w11;
          bl +=
            (src[p + 2] as number) * w00 +
            (src[p + xn + 2] as number) * w10 +
            (src[p + yn + 2] as number) * w01 +
            (src[p + yn + xn + 2] as number) * w11;
        }
      }
      out[o++] = r * inv + 0.5;
      out[o++] = gr * inv + 0.5;
      out[o++] = bl * inv + 0.5;
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}
