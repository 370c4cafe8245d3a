// Recogniser input: crop widths at a fixed height, width-sorted batches, and batch tensors padded to the widest crop.
import type { SpareBuffer } from '../spare-buffer.js';
import type { RgbImage } from '../types.js';
import { isTall, padQuad, quadSize, warpQuad } from './crop.js';
import type { Quad } from './geometry.js';
import type { ChannelOrder, Normalization, RecognitionSettings } from './manifest.js';
import { writeNormalized } from './preprocess.js';

/** Width of a crop resized to `height` keeping its aspect ratio, between 16 px and `maxWidth`. */
export function recognitionWidth(
  cropWidth: number,
  cropHeight: number,
  height: number,
  maxWidth: number,
): number {
  const width = Math.ceil((height * cropWidth) / Math.max(cropHeight, 1));
  return Math.min(maxWidth, Math.max(16, width));
}

export type CropSettings = Pick<RecognitionSettings, 'height' | 'maxWidth' | 'cropMargin' | 'widthScale'>;

/**
 * The quad as an upright strip `height` pixels high, with `cropMargin` × its height added above and below;
 * tall (vertical) regions are turned to read left to right.
 */
export function cropForRecognition(image: RgbImage, quad: Quad, settings: CropSettings): RgbImage {
  const rotate = isTall(quadSize(quad));
  const padded = padQuad(quad, settings.cropMargin, rotate);
  const size = quadSize(padded);
  const [w, h] = rotate ? [size.height, size.width] : [size.width, size.height];
  return warpQuad(
    image,
    padded,
    recognitionWidth(w * settings.widthScale, h, settings.height, settings.maxWidth),
    settings.height,
    rotate,
  );
}

/** Indices of `widths` in ascending width order, cut into batches of at most `batchSize`. */
export function widthSortedBatches(widths: readonly number[], batchSize: number): number[][] {
  const order = widths.map((_, i) => i).sort((a, b) => (widths[a] as number) - (widths[b] as number));
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return batches;
}

/**
 * Blank columns after every crop, one CTC time step wide (the recogniser emits one step per 8 columns): without
 * them the last character, often a full stop, gets lost when a crop is recognised alone.
 */
export const TAIL_PADDING = 8;

/**
 * One NCHW float32 batch of same-height crops, each left-aligned and padded with zeros (the normalised mean
 * colour, as PaddleOCR pads) to the widest crop plus TAIL_PADDING, and to at least `minWidth`; in a buffer
 * from `spare` when given (give it back once the run is over).
 */
export function packBatch(
  crops: readonly RgbImage[],
  norm: Normalization,
  order: ChannelOrder,
  minWidth = 0,
  spare?: SpareBuffer,
): { data: Float32Array; dims: [number, number, number, number] } {
  const first = crops[0];
  if (!first) throw new Error('packBatch needs at least one crop');
  const height = first.height;
  const width = Math.max(minWidth, Math.max(...crops.map((c) => c.width)) + TAIL_PADDING);
  const plane = width * height;
  const length = crops.length * 3 * plane;
  const data = spare ? spare.take(length).fill(0) : new Float32Array(length);
  crops.forEach((crop, n) => {
    if (crop.height !== height) throw new Error('crops in a batch must share a height');
    writeNormalized(crop, norm, order, data, n * 3 * plane, width, plane);
  });
  return { data, dims: [crops.length, 3, height, width] };
}
