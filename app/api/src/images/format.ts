// Image checks done on the main thread before a request may queue: the format from its magic bytes and the
// pixel count from its header. Nothing here decodes pixels, so a decompression bomb never allocates.
import sharp from 'sharp';
import { ApiError, firstLine } from '../errors.js';
import { jpegFrameSize } from './jpeg-header.js';
import { PNG_SIGNATURE, readPngHeader } from './png-header.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

const startsWith = (bytes: Uint8Array, signature: number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);
const ascii = (text: string) => [...text].map((ch) => ch.charCodeAt(0));

/** Known formats we do not accept, recognised so the client gets 415 instead of "not an image". */
const UNSUPPORTED: [string, (b: Uint8Array) => boolean][] = [
  ['GIF', (b) => startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a'))],
  ['BMP', (b) => startsWith(b, ascii('BM')) && b.length >= 26],
  ['TIFF', (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])],
  ['PDF', (b) => startsWith(b, ascii('%PDF-'))],
  ['ICO', (b) => startsWith(b, [0x00, 0x00, 0x01, 0x00])],
  ['HEIF/AVIF', (b) => startsWith(b, ascii('ftyp'), 4)],
  ['JPEG 2000', (b) => startsWith(b, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20])],
  [
    'SVG',
    (b) => /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head(b)),
  ],
];

function head(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 512)).toString('latin1');
}

/** The accepted format the first bytes announce, if any. */
export function imageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp';
  return undefined;
}

/** The format from the first bytes: 415 for known but unsupported formats, 400 for anything else. */
export function sniffFormat(bytes: Uint8Array, field = 'image'): ImageFormat {
  if (bytes.length === 0) throw new ApiError(400, 'invalid_image', 'the image is empty', { field });
  const format = imageFormat(bytes);
  if (format) return format;
  const known = UNSUPPORTED.find(([, test]) => test(bytes));
  if (known) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `${known[0]} images are not supported; send PNG, JPEG or WebP`,
      {
        field,
      },
    );
  }
  throw new ApiError(400, 'invalid_image', 'not an image: expected PNG, JPEG or WebP data', { field });
}

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** The size once EXIF orientation is applied (width and height swap for 90° turns): what decoding gives. */
  oriented: { width: number; height: number };
}

export interface ImageLimits {
  maxPixels: number;
  maxSide: number;
}

/** The header as sharp's metadata() reads it (the header only: no pixels are decoded); 400 when corrupt. */
async function headerBySharp(bytes: Uint8Array, format: ImageFormat, field: string) {
  try {
    return await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ApiError(400, 'invalid_image', `corrupt ${format.toUpperCase()} image: ${firstLine(error)}`, {
      field,
    });
  }
}

/** Sniffs the format and reads the dimensions from the header; 413 when over `maxPixels` or `maxSide`. */
export async function inspectImage(
  bytes: Uint8Array,
  { maxPixels, maxSide }: ImageLimits,
  field = 'image',
): Promise<ImageHeader> {
  const format = sniffFormat(bytes, field);
  // Most JPEGs and PNGs without EXIF are read here, synchronously (jpeg-header.ts, png-header.ts); the rest
  // by sharp.
  const frame =
    format === 'jpeg' ? jpegFrameSize(bytes) : format === 'png' ? readPngHeader(bytes) : undefined;
  const {
    width,
    height,
    autoOrient: oriented,
  } = frame ? { ...frame, autoOrient: frame } : await headerBySharp(bytes, format, field);
  if (!width || !height || !oriented) {
    throw new ApiError(400, 'invalid_image', `corrupt ${format.toUpperCase()} image: no dimensions`, {
      field,
    });
  }
  if (Math.max(width, height) > maxSide) {
    throw new ApiError(
      413,
      'image_too_large',
      `the image is ${width}×${height} pixels; neither side may be over ${maxSide.toLocaleString('en')} (MAX_SIDE)`,
      { field },
    );
  }
  if (width * height > maxPixels) {
    throw new ApiError(
      413,
      'image_too_large',
      `the image is ${width}×${height} = ${(width * height).toLocaleString('en')} pixels; the limit is ${maxPixels.toLocaleString('en')} (MAX_PIXELS)`,
      { field },
    );
  }
  return { format, width, height, oriented: { width: oriented.width, height: oriented.height } };
}
