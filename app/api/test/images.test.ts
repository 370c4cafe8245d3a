// Format sniffing, base64 decoding and header checks: what the main thread decides before any decode.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ApiError } from '../src/errors.js';
import { decodeBase64Image } from '../src/images/base64.js';
import { inspectImage, sniffFormat } from '../src/images/format.js';
import { jpegClaiming, pngClaiming } from './helpers/api-runtime.js';

const image = (format: 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' | 'avif') =>
  sharp({ create: { width: 16, height: 8, channels: 3, background: '#123456' } })
    .toFormat(format)
    .toBuffer();

async function apiError(fn: () => unknown): Promise<ApiError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('sniffFormat', () => {
  it.each(['png', 'jpeg', 'webp'] as const)('recognises %s by its magic bytes', async (format) => {
    expect(sniffFormat(await image(format))).toBe(format);
  });

  it.each([
    ['GIF', () => image('gif')],
    ['TIFF', () => image('tiff')],
    ['HEIF/AVIF', () => image('avif')],
    ['BMP', async () => Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)])],
    ['PDF', async () => Buffer.from('%PDF-1.4\n')],
    ['SVG', async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>')],
    ['SVG', async () => Buffer.from('<?xml version="1.0"?>\n<!-- a comment -->\n<svg width="1"/>')],
  ])('answers 415 for %s', async (name, make) => {
    const bytes = await make();
    const error = await apiError(() => sniffFormat(bytes));
    expect(error.status).toBe(415);
    expect(error.toBody()).toEqual({
      error: 'unsupported_media_type',
      detail: `${name} images are not supported; send PNG, JPEG or WebP`,
      field: 'image',
    });
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['text', Buffer.from('hello world')],
    ['a lone JPEG start', Buffer.from([0xff, 0xd8])],
    ['RIFF that is not WebP', Buffer.from('RIFF\0\0\0\0WAVEfmt ')],
  ])('answers 400 for %s', async (_name, bytes) => {
    const error = await apiError(() => sniffFormat(bytes));
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_image');
  });
});

describe('decodeBase64Image', () => {
  const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00, 0x10]);

  it('decodes plain, data: URL, URL-safe, unpadded and line-wrapped base64', () => {
    const b64 = bytes.toString('base64');
    expect(decodeBase64Image(b64)).toEqual(bytes);
    expect(decodeBase64Image(`data:image/png;base64,${b64}`)).toEqual(bytes);
    expect(decodeBase64Image(bytes.toString('base64url'))).toEqual(bytes);
    expect(decodeBase64Image(b64.replace(/=+$/, ''))).toEqual(bytes);
    expect(decodeBase64Image(`${b64.slice(0, 4)}\n${b64.slice(4)}`)).toEqual(bytes);
  });

  it.each([
    ['invalid characters', 'abc$def!'],
    ['impossible length', 'abcde'],
    ['padding in the middle', 'ab==cd'],
    ['padding in the middle, padded at the end', 'QQ==QQ=='],
    ['a padded impossible length', 'QUJD='],
    ['a character outside the alphabet in an otherwise whole quantum', 'QUJD QUJD'.replace(' ', '.')],
    ['non-ASCII', 'QUJDé'.padEnd(8, 'A')],
    ['empty after the data: prefix', 'data:image/png;base64,'],
    ['only whitespace', ' \r\n\t '],
    ['invalid characters after a line break', 'abcd\nef$h'],
    ['a data: URL that is not base64', 'data:image/png,%89PNG'],
  ])('rejects %s with 400', async (_name, text) => {
    const error = await apiError(() => decodeBase64Image(text));
    expect(error.status).toBe(400);
    expect(error.options.field).toBe('image');
  });
});

/** The pixel limit under test, and the default MAX_SIDE. */
const limits = (maxPixels: number) => ({ maxPixels, maxSide: loadConfig({}).maxSide });

describe('inspectImage', () => {
  it('returns the format and dimensions from the header', async () => {
    const size = { width: 16, height: 8, oriented: { width: 16, height: 8 } };
    expect(await inspectImage(await image('png'), limits(1e6))).toEqual({ format: 'png', ...size });
    expect(await inspectImage(await image('webp'), limits(1e6))).toEqual({ format: 'webp', ...size });
  });

  it('gives the size after EXIF orientation, which the worker decodes to', async () => {
    // Orientation 6: stored 16 × 8, shown turned 90° as 8 × 16.
    const turned = await sharp(await image('jpeg'))
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await inspectImage(turned, limits(1e6))).toEqual({
      format: 'jpeg',
      width: 16,
      height: 8,
      oriented: { width: 8, height: 16 },
    });
  });

  it('refuses more pixels than the limit with 413, from the header alone', async () => {
    expect((await apiError(() => inspectImage(Buffer.alloc(0), limits(1)))).status).toBe(400);
    const small = await apiError(async () => inspectImage(await image('png'), limits(100)));
    expect(small).toMatchObject({ status: 413, code: 'image_too_large' });
    // 60000 × 60000 = 3.6 gigapixels claimed by a 200-byte file: rejected without allocating them.
    const bomb = await apiError(async () => inspectImage(await jpegClaiming(60_000, 60_000), limits(40e6)));
    expect(bomb).toMatchObject({ status: 413, code: 'image_too_large' });
    expect(bomb.detail).toContain('60000×60000');
  });

  it('refuses a side over MAX_SIDE with 413 from the header (a 1×39,000,000 PNG is under MAX_PIXELS but decodes for ~30 s)', async () => {
    for (const [width, height] of [
      [1, 39_000_000],
      [39_000_000, 1],
    ] as const) {
      const error = await apiError(async () => inspectImage(await pngClaiming(width, height), limits(40e6)));
      expect(error).toMatchObject({ status: 413, code: 'image_too_large', options: { field: 'image' } });
      expect(error.detail).toContain(`${width}×${height}`);
      expect(error.detail).toContain('MAX_SIDE');
    }
    // A long receipt or panorama within JPEG's own 65,535 limit is served.
    for (const [width, height] of [
      [65_000, 600],
      [600, 65_000],
    ] as const) {
      const header = await inspectImage(await jpegClaiming(width, height), limits(40e6));
      expect(header).toMatchObject({ width, height });
    }
  });

  it('answers 400 for a corrupt header', async () => {
    const png = await image('png');
    const error = await apiError(() =>
      inspectImage(Buffer.concat([png.subarray(0, 12), Buffer.alloc(8)]), limits(1e6)),
    );
    expect(error).toMatchObject({ status: 400, code: 'invalid_image' });
  });
});
