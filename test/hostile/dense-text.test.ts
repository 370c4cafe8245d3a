// D2: bounded work per request. A dense-text image ends within the deadline and frees its worker, and
// requests whose clients gave up stop holding workers. Before: one dense image held a worker for ~37 s.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Service, startApi } from '../browser/stack.js';
import { textFixture } from '../fixtures/text-images.js';
import { denseTextPng } from './hostile.js';

const DEADLINE_S = 8;
let api: Service;
let dense: Buffer;
let line: Buffer;
beforeAll(async () => {
  [api, dense, line] = await Promise.all([
    startApi({
      env: { WORKERS: '2', QUEUE_SIZE: '8', REQUEST_TIMEOUT: String(DEADLINE_S), LOG_LEVEL: 'info' },
    }),
    denseTextPng(),
    textFixture('line').then((f) => f.png),
  ]);
});
afterAll(() => api?.stop());

const predict = (image: Buffer, signal?: AbortSignal) =>
  fetch(`${api.url}/v1/models/ocr/predict`, {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: image,
    signal: signal ?? AbortSignal.timeout(3 * DEADLINE_S * 1000),
  });

it('a dense-text image is answered within the deadline, saying it was cut short', async () => {
  const started = performance.now();
  const res = await predict(dense);
  const seconds = (performance.now() - started) / 1000;
  const body = (await res.json()) as { truncated?: boolean; truncated_reason?: string; detections?: [] };
  console.log(
    `dense image (${dense.length} bytes): ${res.status} in ${seconds.toFixed(1)} s, ` +
      `${body.detections?.length} lines, truncated=${body.truncated} (${body.truncated_reason})`,
  );
  expect(seconds).toBeLessThan(DEADLINE_S + 1);
  if (res.status === 200) {
    expect(body.truncated).toBe(true);
    expect(['max_boxes', 'deadline']).toContain(body.truncated_reason);
  } else {
    expect(res.status).toBe(504);
    expect(body).toMatchObject({ error: 'deadline_exceeded' });
  }
});

it('after two abandoned dense requests, a normal one waits no longer than one deadline', async () => {
  const abandoned = [0, 1].map(() => predict(dense, AbortSignal.timeout(2_000)).catch((e: Error) => e.name));
  await new Promise((r) => setTimeout(r, 300)); // both reach the workers
  const started = performance.now();
  const res = await predict(line);
  const seconds = (performance.now() - started) / 1000;
  console.log(`one-line request after two abandoned dense ones: ${res.status} in ${seconds.toFixed(1)} s`);
  expect(await Promise.all(abandoned)).toEqual(['TimeoutError', 'TimeoutError']);
  expect(res.status).toBe(200);
  expect(seconds).toBeLessThan(DEADLINE_S);
  // A client that left is logged as aborted (info), not as a 500 with a stack trace.
  await new Promise((r) => setTimeout(r, 500));
  expect(api.output()).not.toMatch(/"level":50/);
});
