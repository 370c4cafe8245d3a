// Letterboxing as ultralytics does it: scale to fit the network input keeping the aspect ratio, centre,
// pad with grey 114; and the inverse, to map boxes back to the original image.
import sharp from 'sharp';
import { roundHalfEven } from '../round-half-even.js';
import type { RgbImage } from '../types.js';

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

/** The padded network-input image (RGB bytes) and the geometry used. */
export async function letterboxImage(
  image: RgbImage,
  dstWidth: number,
  dstHeight: number,
): Promise<{ image: RgbImage; letterbox: Letterbox }> {
  const lb = letterboxGeometry(image.width, image.height, dstWidth, dstHeight);
  const grey = { r: PAD_VALUE, g: PAD_VALUE, b: PAD_VALUE };
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(lb.width, lb.height, { fit: 'fill', kernel: 'linear' })
    .extend({
      left: lb.left,
      top: lb.top,
      right: dstWidth - lb.width - lb.left,
      bottom: dstHeight - lb.height - lb.top,
      background: grey,
    })
    .raw()
    .toBuffer();
  return { image: { data, width: dstWidth, height: dstHeight }, letterbox: lb };
}
