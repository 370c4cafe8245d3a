// The line-relative space rule (recognition.spaceLineRatio) on the real PP-OCRv4 models: a faint space the
// recogniser puts beside the "@" of an e-mail address is dropped, the line's word gaps are kept.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Predictor, RgbImage } from '../src/tasks/types.js';
import { loadBundledOcr, rawOcrManifest } from './helpers/bundled-ocr.js';

const load = (spaceLineRatio?: number) =>
  loadBundledOcr(
    spaceLineRatio === undefined ? {} : { recognition: { ...rawOcrManifest.recognition, spaceLineRatio } },
  );

describe('spaceLineRatio on the real recogniser', () => {
  let withRule: Predictor;
  let without: Predictor;
  let image: RgbImage;

  beforeAll(async () => {
    [withRule, without] = await Promise.all([load(), load(0)]);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="130">
      <rect width="100%" height="100%" fill="white"/>
      <text x="20" y="45" font-family="Liberation Sans" font-size="32">Coffee off please.the@example.org,</text>
      <text x="20" y="105" font-family="FreeSerif" font-size="32">Village.deploy@example.net coffee</text>
    </svg>`;
    const { data, info } = await sharp(Buffer.from(svg))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    image = { data: new Uint8Array(data), width: info.width, height: info.height };
  });

  afterAll(async () => {
    await Promise.all([withRule?.release(), without?.release()]);
  });

  it('is on in the bundled manifest', () => {
    expect(rawOcrManifest.recognition.spaceLineRatio).toBeGreaterThan(0);
  });

  it('reads the e-mail addresses whole, and keeps the word gaps', async () => {
    // Without the rule, the blank-won gap after the FreeSerif "@" (its space class at ~0.06) reads as a space.
    const plain = await without.predict(image, {});
    expect(plain.detections.map((d) => d.text)).toEqual([
      'Coffee off please.the@example.org,',
      'Village.deploy@ example.net coffee',
    ]);
    const result = await withRule.predict(image, {});
    expect(result.detections.map((d) => d.text)).toEqual([
      'Coffee off please.the@example.org,',
      'Village.deploy@example.net coffee',
    ]);
  });
});
