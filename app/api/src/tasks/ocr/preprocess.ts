// Image -> float tensors: sizes for the detector, and per-channel normalisation into NCHW layout.
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

/** Resizes (sharp, when the size changes) to `width` × `height`. */
export { resizeRgb } from '../../images/resize.js';

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
