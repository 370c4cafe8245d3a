// D5: one readiness and drain policy for every API surface. Before: during the drain /v2 answered 503
// while /v1 and /predict still served. (That the server closes each connection while draining is the HTTP
// server's part, for every route: drain.test.ts.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRuntime, type TestRuntime } from '../../app/api/test/helpers/api-runtime.js';
import { textFixture } from '../fixtures/text-images.js';

let runtime: TestRuntime;
let image: Buffer;
beforeAll(async () => {
  [runtime, image] = await Promise.all([startRuntime(), textFixture('word').then((f) => f.png)]);
  await runtime.pool.ready;
});
afterAll(() => runtime?.pool.close());

const surfaces = () => ({
  '/predict': runtime.app.request('/predict', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'ocr', image: image.toString('base64') }),
  }),
  '/v1': runtime.app.request('/v1/models/ocr/predict', {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: image,
  }),
  '/v2': runtime.app.request('/v2/models/ocr/infer', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [image.toString('base64')] }],
    }),
  }),
});

async function statuses() {
  const entries = Object.entries(surfaces());
  const responses = await Promise.all(entries.map(([, r]) => r));
  return Object.fromEntries(entries.map(([name], i) => [name, responses[i]?.status]));
}

it('/predict, /v1 and /v2 serve alike before and during the drain', async () => {
  expect(await statuses()).toEqual({ '/predict': 200, '/v1': 200, '/v2': 200 });
  runtime.deps.plane.drain();
  const during = await statuses();
  console.log(`during the drain: ${JSON.stringify(during)}`);
  expect(during).toEqual({ '/predict': 200, '/v1': 200, '/v2': 200 });
  expect((await runtime.app.request('/ready')).status).toBe(503);
});
