// Regression: an encoded image under 4 KB. Node decodes small base64 strings into a view of its shared
// Buffer pool slab, and the worker pool once transferred `bytes.slice()` of it (a view of the same slab,
// not a copy), so the worker read someone else's bytes and answered 400 "unsupported image format".
// Through a real listening server and the real worker pool, both request shapes must read the word.
import { beforeAll, describe, expect, it } from 'vitest';
import { textFixture } from '../../../test/fixtures/text-images.js';
import { expectLines, servedForSuite } from './helpers/api-runtime.js';

const served = servedForSuite({ QUEUE_SIZE: '16' });
let png: Buffer;
let lines: string[];

beforeAll(async () => {
  const word = await textFixture('word');
  png = word.png;
  lines = word.lines;
});

describe('an image under 4 KB (a view of the shared Buffer pool once base64-decoded)', () => {
  it('is small enough to land in the pool', () => {
    expect(png.length).toBeLessThan(Buffer.poolSize / 2);
  });

  it('POST /predict with base64 JSON reads the word', async () => {
    const res = await fetch(`${served.server.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'ocr', image: png.toString('base64') }),
    });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    expectLines(body, lines);
  });

  it('POST /v1/models/ocr/predict with the raw PNG body reads the word', async () => {
    const res = await fetch(`${served.server.url}/v1/models/ocr/predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: png,
    });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    expectLines(body, lines);
  });

  it('stays correct when many small images are in flight at once', async () => {
    const bodies = await Promise.all(
      Array.from({ length: 8 }, () =>
        fetch(`${served.server.url}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'ocr', image: png.toString('base64') }),
        }).then(async (res) => ({ status: res.status, body: await res.json() })),
      ),
    );
    for (const { status, body } of bodies) {
      expect(status, JSON.stringify(body)).toBe(200);
      expectLines(body, lines);
    }
  });
});
