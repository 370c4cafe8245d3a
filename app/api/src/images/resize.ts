// Resizing decoded RGB pixels with sharp, for images that did not arrive at their working size already.
import sharp, { type KernelEnum } from 'sharp';
import { type RgbImage, sourceSize } from '../tasks/types.js';

/**
 * `image` resized to `width` × `height` (aspect ratio not kept), or `image` itself when it has that size. The
 * result remembers the size of the image as sent in `source`.
 */
export async function resizeRgb(
  image: RgbImage,
  width: number,
  height: number,
  kernel: keyof KernelEnum = 'lanczos3',
): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer();
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { data: pixels, width, height, source: sourceSize(image) };
}
