// Small requests that used to stall the API: a 10 MB body of 5 million nested brackets (JSON.parse blocked
// the main thread ~24 s), straight to the API and through the UI proxy, refused with a 400 while /health keeps
// answering; and a PNG of 1×39,000,000 pixels (under MAX_PIXELS; its decode held a worker 30-50 s and could not
// be stopped), refused with a 413 from its header.
import { expect, it } from 'vitest';
import { pngClaiming } from '../../app/api/test/helpers/api-runtime.js';
import { request, stackForSuite } from './hostile.js';

const stack = stackForSuite();

/** Sends `attack` while probing /health every 20 ms; returns the attack's answer and the slowest probe. */
async function whileProbing(attack: () => Promise<{ status: number; body: string }>) {
  let done = false;
  let slowest = 0;
  const probes = (async () => {
    while (!done) {
      const started = performance.now();
      const res = await request(`${stack.api.url}/health`);
      expect(res.status).toBe(200);
      slowest = Math.max(slowest, performance.now() - started);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const answer = await attack();
  done = true;
  await probes;
  return { answer, slowest };
}

const depth = 5_000_000;
const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;

for (const [name, url, headers] of [
  ['API /predict', () => `${stack.api.url}/predict`, { 'content-type': 'application/json' }],
  ['UI /api/predict', () => `${stack.ui.url}/api/predict`, { 'content-type': 'application/json' }],
  [
    'API /v2/models/ocr/infer',
    () => `${stack.api.url}/v2/models/ocr/infer`,
    { 'content-type': 'application/json' },
  ],
  [
    'API /v2/models/ocr/infer (binary extension)',
    () => `${stack.api.url}/v2/models/ocr/infer`,
    { 'inference-header-content-length': String(nested.length) },
  ],
] as const) {
  it(`${name}: 10 MB of nested brackets is a 400, and /health answers throughout (was blocked ~24 s)`, async () => {
    const { answer, slowest } = await whileProbing(() =>
      request(url(), { method: 'POST', headers: { ...headers }, body: nested }),
    );
    expect(answer.status, answer.body).toBe(400);
    expect(answer.body).toMatch(/nested more than \d+ levels/);
    // Reading and scanning 10 MB takes tens of ms; the bug was tens of seconds.
    expect(slowest).toBeLessThan(3_000);
  });
}

for (const [width, height] of [
  [1, 39_000_000],
  [39_000_000, 1],
] as const) {
  it(`a ${width}×${height} PNG is a 413 naming the image, and the worker is free for the next request`, async () => {
    const png = await pngClaiming(width, height);
    const res = await request(`${stack.ui.url}/api/v1/models/ocr/predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: png,
    });
    expect(res.status, res.body).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'image_too_large', field: 'image' });
    expect(res.body).toContain('MAX_SIDE');
    // The one worker takes the next image at once (before: busy decoding until long after a 504).
    const small = await pngClaiming(8, 8);
    const next = await request(`${stack.api.url}/v1/models/ocr/predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: small,
    });
    expect(next.status, next.body).toBe(200);
  });
}
