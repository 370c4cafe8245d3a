// Letterboxing as ultralytics does it: scale to fit the network input keeping the aspect ratio, centre,
// pad with grey 114; and the inverse, to map boxes back to the original image.
import { type ChannelNormalization, fillChw, writeChw } from '../../images/chw.js';
import { resizeRgb } from '../../images/resize.js';
import { roundHalfEven } from '../round-half-even.js';
import { type RgbImage, sourceSize } from '../types.js';

export interface Letterbox {
  /** Resize factor from original to network pixels. */
  scale: number;
  /** Size of the resized image inside the padded input. */
  width: number;
  height: number;
  /** Padding before the image, network pixels. */
  left: number;
  top: number;
}

export const PAD_VALUE = 114;
/** Bilinear, as ultralytics' cv2.resize(INTER_LINEAR). */
export const LETTERBOX_KERNEL = 'linear';

export function letterboxGeometry(
  srcWidth: number,
  srcHeight: number,
  dstWidth: number,
  dstHeight: number,
): Letterbox {
  const scale = Math.min(dstWidth / srcWidth, dstHeight / srcHeight);
  const width = roundHalfEven(srcWidth * scale);
  const height = roundHalfEven(srcHeight * scale);
  // ultralytics: round(dw/2 - 0.1), so an odd leftover puts the extra pixel after the image.
  const left = Math.max(0, roundHalfEven((dstWidth - width) / 2 - 0.1));
  const top = Math.max(0, roundHalfEven((dstHeight - height) / 2 - 0.1));
  return { scale, width, height, left, top };
}

/** Box in network pixels → original pixels, clipped to the image. */
export function unletterboxBox(
  box: readonly [number, number, number, number],
  lb: Letterbox,
  srcWidth: number,
  srcHeight: number,
): [number, number, number, number] {
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  return [
    clip((box[0] - lb.left) / lb.scale, srcWidth),
    clip((box[1] - lb.top) / lb.scale, srcHeight),
    clip((box[2] - lb.left) / lb.scale, srcWidth),
    clip((box[3] - lb.top) / lb.scale, srcHeight),
  ];
}

/**
 * The padding each tensor slice (buffer, byte offset) was last filled with. The predictor reuses its input
 * buffer between runs (onnx-image-model.ts) and only letterboxInto writes it, so padding written for one image
 * is still there for the next one of the same size: filling it again cost ~0.15-0.2 ms for 640x640.
 */
const paddedSlices = new WeakMap<ArrayBufferLike, Map<number, string>>();

/**
 * Writes `image` letterboxed into `pixels` (a [3, dstHeight, dstWidth] tensor slice): scaled to fit (unless
 * the worker decoded it to that size already), padded with grey, normalised, in one pass over the pixels.
 * Returns the geometry, computed from the size of the image as sent.
 */
export async function letterboxInto(
  image: RgbImage,
  dstWidth: number,
  dstHeight: number,
  norm: ChannelNormalization,
  pixels: Float32Array,
): Promise<Letterbox> {
  const source = sourceSize(image);
  const lb = letterboxGeometry(source.width, source.height, dstWidth, dstHeight);
  const scaled = await resizeRgb(image, lb.width, lb.height, LETTERBOX_KERNEL);
  const inside = { left: lb.left, top: lb.top, width: lb.width, height: lb.height };
  // The padding a reused input buffer already holds (the same geometry as the last image) is kept.
  const padding = JSON.stringify([dstWidth, dstHeight, inside, norm]);
  const slices = paddedSlices.get(pixels.buffer) ?? new Map<number, string>();
  paddedSlices.set(pixels.buffer, slices);
  if (slices.get(pixels.byteOffset) !== padding) {
    fillChw(pixels, PAD_VALUE, norm, dstWidth, dstHeight, 0, inside);
    slices.set(pixels.byteOffset, padding);
  }
  writeChw(scaled, norm, 'rgb', pixels, undefined, {
    offset: lb.top * dstWidth + lb.left,
    rowStride: dstWidth,
    planeStride: dstWidth * dstHeight,
  });
  return lb;
}
