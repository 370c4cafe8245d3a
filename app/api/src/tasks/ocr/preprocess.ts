// Image -> float tensors: sizes for the detector, and per-channel normalisation into NCHW layout.
import sharp from 'sharp';
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
export async function resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
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
  const { data, width, height } = image;
  for (let c = 0; c < 3; c++) {
    const source = order === 'bgr' ? 2 - c : c;
    // (p × scale − mean) / std = p × k + m, precomputed per channel.
    const k = norm.scale / (norm.std[c] as number);
    const m = -(norm.mean[c] as number) / (norm.std[c] as number);
    const plane = offset + c * planeStride;
    for (let y = 0; y < height; y++) {
      let s = y * width * 3 + source;
      const row = plane + y * rowStride;
      for (let x = 0; x < width; x++, s += 3) out[row + x] = (data[s] as number) * k + m;
    }
  }
}
