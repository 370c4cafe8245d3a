// Interleaved RGB bytes (HWC, what sharp's `.raw()` gives) to the normalised planar float32 (CHW) a network
// reads, in one pass over the pixels: each byte is read once and written straight to its plane.
import type { RgbImage } from '../tasks/types.js';

/** (pixel × scale − mean[c]) / std[c], with mean and std in the tensor's channel order. */
export interface ChannelNormalization {
  scale: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** A rectangle of the source image, in pixels. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Where the pixels land in `out`: the first one at `offset`, rows `rowStride` floats apart, planes `planeStride`. */
export interface PlanarLayout {
  offset: number;
  rowStride: number;
  planeStride: number;
}

/** Per tensor channel c: the multiplier and addend that turn a byte into (p × scale − mean) / std. */
function affine(norm: ChannelNormalization): [number, number, number, number, number, number] {
  const k = (c: 0 | 1 | 2) => norm.scale / norm.std[c];
  const m = (c: 0 | 1 | 2) => -norm.mean[c] / norm.std[c];
  return [k(0), m(0), k(1), m(1), k(2), m(2)];
}

/**
 * Writes `region` of `image` (all of it by default) into `out` as normalised CHW floats laid out as `layout`
 * (packed rows of the region's width by default). One loop over the pixels, no per-pixel calls.
 */
export function writeChw(
  image: RgbImage,
  norm: ChannelNormalization,
  /** Tensor channel 0 is red ('rgb') or blue ('bgr'). */
  order: 'rgb' | 'bgr',
  out: Float32Array,
  region: Region = { left: 0, top: 0, width: image.width, height: image.height },
  layout: Partial<PlanarLayout> = {},
): void {
  const { data, width: srcWidth } = image;
  const { left, top, width, height } = region;
  if (left < 0 || top < 0 || left + width > image.width || top + height > image.height) {
    throw new RangeError(
      `region ${JSON.stringify(region)} is outside the ${image.width}x${image.height} image`,
    );
  }
  const offset = layout.offset ?? 0;
  const rowStride = layout.rowStride ?? width;
  const planeStride = layout.planeStride ?? rowStride * height;
  const [k0, m0, k1, m1, k2, m2] = affine(norm);
  // Source byte of tensor channel 0 and 2 within a pixel: BGR reads blue (byte 2) first.
  const first = order === 'bgr' ? 2 : 0;
  const last = 2 - first;
  for (let y = 0; y < height; y++) {
    let s = ((top + y) * srcWidth + left) * 3;
    let d = offset + y * rowStride;
    const end = d + width;
    for (; d < end; d++, s += 3) {
      out[d] = (data[s + first] as number) * k0 + m0;
      out[d + planeStride] = (data[s + 1] as number) * k1 + m1;
      out[d + 2 * planeStride] = (data[s + last] as number) * k2 + m2;
    }
  }
}

/**
 * Fills every plane of a [3, height, width] tensor at `offset` with one grey byte value, normalised, except
 * `inside` (all of it by default), which the caller writes itself: a letterbox pays for its padding only.
 */
export function fillChw(
  out: Float32Array,
  grey: number,
  norm: ChannelNormalization,
  width: number,
  height: number,
  offset = 0,
  inside: Region = { left: 0, top: 0, width: 0, height: 0 },
): void {
  const [k0, m0, k1, m1, k2, m2] = affine(norm);
  const plane = width * height;
  const bottom = inside.top + inside.height;
  const right = inside.left + inside.width;
  [grey * k0 + m0, grey * k1 + m1, grey * k2 + m2].forEach((value, c) => {
    const start = offset + c * plane;
    // The rows above and below the inside, then the columns left and right of it on its rows.
    out.fill(value, start, start + inside.top * width);
    out.fill(value, start + bottom * width, start + plane);
    for (let y = inside.top; y < bottom; y++) {
      const row = start + y * width;
      out.fill(value, row, row + inside.left);
      out.fill(value, row + right, row + width);
    }
  });
}
