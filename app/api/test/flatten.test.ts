// Transparent PNGs: the background behind transparent pixels contrasts with what is drawn, so light ink on
// a transparent canvas is not lost as white on white. Unit cases on sharp-rendered images, then the real
// OCR model through a real server on dark-on-transparent and light-on-transparent text.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { flattenOnContrast, LIGHT_CONTENT } from '../src/images/flatten.js';
import { servedForSuite, texts } from './helpers/api-runtime.js';

const TEXT = 'HELLO WORLD';

/** Text in `fill` on a fully transparent canvas (antialiased edges are partly transparent). */
const textOnTransparent = (fill: string) =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="420" height="90">` +
        `<text x="20" y="62" font-family="DejaVu Sans" font-size="44" fill="${fill}">${TEXT}</text></svg>`,
    ),
  )
    .png()
    .toBuffer();

async function rgba(png: Buffer) {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), pixels: info.width * info.height };
}

describe('flattenOnContrast', () => {
  it('puts light content on black and dark content on white', async () => {
    const light = await rgba(await textOnTransparent('#ffffff'));
    const dark = await rgba(await textOnTransparent('#000000'));
    expect(flattenOnContrast(light.data, light.pixels).background).toBe(0);
    expect(flattenOnContrast(dark.data, dark.pixels).background).toBe(255);
  });

  it('weighs pixels by their alpha: the colour under transparent pixels does not count', () => {
    // 3 transparent white pixels and one opaque black one: dark content, so white goes behind it
    const pixels = Uint8Array.from([255, 255, 255, 0, 255, 255, 255, 0, 255, 255, 255, 0, 0, 0, 0, 255]);
    const { rgb, background } = flattenOnContrast(pixels, 4);
    expect(background).toBe(255);
    expect([...rgb]).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0]);
  });

  it('composites partial alpha and treats the threshold as light', () => {
    const grey = LIGHT_CONTENT;
    // one opaque pixel exactly at the threshold and one half-transparent one of the same colour
    const pixels = Uint8Array.from([grey, grey, grey, 255, grey, grey, grey, 128]);
    const { rgb, background } = flattenOnContrast(pixels, 2);
    expect(background).toBe(0);
    expect([...rgb]).toEqual([grey, grey, grey, 80, 80, 80]);
  });

  it('an image with nothing visible goes on white', () => {
    const { rgb, background } = flattenOnContrast(new Uint8Array(8), 2);
    expect(background).toBe(255);
    expect([...rgb]).toEqual([255, 255, 255, 255, 255, 255]);
  });
});

describe('OCR of text on a transparent canvas (real model, real server)', () => {
  const served = servedForSuite({ QUEUE_SIZE: '4' });

  for (const [ink, fill] of [
    ['dark', '#202020'],
    ['light', '#ffffff'],
  ] as const) {
    it(`reads ${ink} text`, async () => {
      const res = await fetch(`${served.server.url}/v1/models/ocr/predict`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: new Uint8Array(await textOnTransparent(fill)),
      });
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(texts(body).join(' ')).toBe(TEXT);
    });
  }
});
