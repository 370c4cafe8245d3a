// Image -> float tensors: the detector's size and resize, and per-channel normalisation into NCHW layout.
import { writeChw } from '../../images/chw.js';
import type { ChannelNormalization } from '../onnx-image-model.js';
import type { RgbImage } from '../types.js';
import type { ChannelOrder } from './manifest.js';

/**
 * Detector input size: the longer side scaled down to `maxSide` (never up), each side then rounded to the
 * nearest multiple of `multiple` (the network downsamples by 32), at least one multiple.
 */
export function detectionInputSize(
  width: number,
  height: number,
  maxSide: number,
  multiple = 32,
): { width: number; height: number } {
  const ratio = Math.max(width, height) > maxSide ? maxSide / Math.max(width, height) : 1;
  const round = (v: number) => Math.max(multiple, Math.round((v * ratio) / multiple) * multiple);
  return { width: round(width), height: round(height) };
}

/**
 * Writes `(pixel × scale − mean[c]) / std[c]` for each tensor channel c into `out` as planar CHW, starting at
 * `offset`, with rows `rowStride` floats apart (a batch padded wider than the image). With channel order BGR,
 * tensor channel 0 is blue, and mean[0]/std[0] apply to it.
 */
export function writeNormalized(
  image: RgbImage,
  norm: ChannelNormalization,
  order: ChannelOrder,
  out: Float32Array,
  offset = 0,
  rowStride = image.width,
  planeStride = rowStride * image.height,
): void {
  // One pass over the pixels (images/chw.ts), shared with detect and classify.
  writeChw(image, norm, order, out, undefined, { offset, rowStride, planeStride });
}

/**
 * `image` resized to `width` × `height` as OpenCV's `cv2.resize` does by default (INTER_LINEAR), which is what
 * PaddleOCR's DetResizeForTest calls: pixel centres aligned, each output pixel interpolated from the 2 × 2
 * nearest source pixels and rounded to a byte, then normalised as writeNormalized does; one pass straight into
 * `out` as CHW, no intermediate image. (A sharp call costs more than this loop for the detector's sizes.)
 */
export function resizeNormalized(
  image: RgbImage,
  width: number,
  height: number,
  norm: ChannelNormalization,
  order: ChannelOrder,
  out: Float32Array,
): void {
  if (image.width === width && image.height === height) {
    writeNormalized(image, norm, order, out);
    return;
  }
  const { data, width: srcWidth, height: srcHeight } = image;
  const lut = normalizedBytes(norm);
  const xs = linearTaps(srcWidth, width, 3);
  const ys = linearTaps(srcHeight, height, srcWidth * 3);
  // Source byte of tensor channel 0 and 2 within a pixel: BGR reads blue (byte 2) first.
  const first = order === 'bgr' ? 2 : 0;
  const last = 2 - first;
  const plane = width * height;
  let d = 0;
  for (let y = 0; y < height; y++) {
    const row = ys.offset[y] as number;
    const below = ys.next[y] as number;
    const fy = ys.frac[y] as number;
    for (let x = 0; x < width; x++, d++) {
      // The 2 × 2 neighbours: p, p + right above; q, q + right below.
      const p = row + (xs.offset[x] as number);
      const q = p + below;
      const right = xs.next[x] as number;
      const fx = xs.frac[x] as number;
      const gx = 1 - fx;
      const w00 = gx * (1 - fy);
      const w10 = fx * (1 - fy);
      const w01 = gx * fy;
      const w11 = fx * fy;
      const c0 =
        (data[p + first] as number) * w00 +
        (data[p + right + first] as number) * w10 +
        (data[q + first] as number) * w01 +
        (data[q + right + first] as number) * w11;
      const c1 =
        (data[p + 1] as number) * w00 +
        (data[p + right + 1] as number) * w10 +
        (data[q + 1] as number) * w01 +
        (data[q + right + 1] as number) * w11;
      const c2 =
        (data[p + last] as number) * w00 +
        (data[p + right + last] as number) * w10 +
        (data[q + last] as number) * w01 +
        (data[q + right + last] as number) * w11;
      // Rounded to a byte, as cv2 returns bytes, then normalised by table.
      out[d] = lut[(c0 + 0.5) | 0] as number;
      out[d + plane] = lut[256 + ((c1 + 0.5) | 0)] as number;
      out[d + 2 * plane] = lut[512 + ((c2 + 0.5) | 0)] as number;
    }
  }
}

/**
 * For each output position along one axis: the offset of its first source sample (`stride` apart per source
 * pixel), the step to the second (0 at the last pixel), and the second's weight. OpenCV's rule: source
 * position (o + 0.5) × in/out − 0.5, clamped to the image, the weight 0 where clamped.
 */
function linearTaps(inSize: number, outSize: number, stride: number) {
  const scale = inSize / outSize;
  const offset = new Int32Array(outSize);
  const next = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const s = (o + 0.5) * scale - 0.5;
    let i = Math.floor(s);
    let f = s - i;
    if (i < 0) {
      i = 0;
      f = 0;
    }
    if (i >= inSize - 1) {
      i = inSize - 1;
      f = 0;
    }
    offset[o] = i * stride;
    next[o] = i < inSize - 1 ? stride : 0;
    frac[o] = f;
  }
  return { offset, next, frac };
}

/** Each byte value normalised for each tensor channel: 3 planes of 256 (writeNormalized on a grey ramp). */
function normalizedBytes(norm: ChannelNormalization): Float32Array {
  const ramp = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) ramp.fill(v, v * 3, v * 3 + 3);
  const lut = new Float32Array(3 * 256);
  writeNormalized({ data: ramp, width: 256, height: 1 }, norm, 'rgb', lut);
  return lut;
}
