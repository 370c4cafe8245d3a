// D1: a client's model name must not reach /metrics labels, the request log or error bodies unchecked.
// Before the data plane, one 2 MB name grew /metrics by 2 MB, and every random name added a series.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Service, startApi } from '../browser/stack.js';

let api: Service;
beforeAll(async () => {
  api = await startApi({ env: { WORKERS: '1', LOG_LEVEL: 'info' } });
});
afterAll(() => api?.stop());

/** The size of /metrics and its number of request series (Node's own, such as GC kinds, come and go). */
async function scrape() {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  return {
    bytes: text.length,
    series: text.split('\n').filter((l) => l.startsWith('modelship_http')).length,
  };
}

/** One request per API surface that takes a model name. */
async function askFor(name: string): Promise<{ status: number; bodyBytes: number }[]> {
  const image = 'aGVsbG8='; // not an image: the name is checked first
  const calls = [
    fetch(`${api.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: name, image }),
    }),
  ];
  // A URL carries at most Node's 16 KB of headers: long names go in the body only.
  if (name.length < 4_000) {
    const path = encodeURIComponent(name);
    calls.push(
      fetch(`${api.url}/v1/models/${path}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: 'x',
      }),
      fetch(`${api.url}/v1/models/${path}`),
      fetch(`${api.url}/v2/models/${path}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [image] }] }),
      }),
    );
  }
  return Promise.all(
    calls.map(async (call) => {
      const res = await call;
      return { status: res.status, bodyBytes: (await res.arrayBuffer()).byteLength };
    }),
  );
}

it('2 MB and 300 random model names leave /metrics and the log bounded', async () => {
  await askFor('warm-up-unknown-name'); // creates the `unknown` series once
  await scrape(); // and the scrape's own
  const before = await scrape();
  const logBefore = api.output().length;

  const huge = 'm'.repeat(2 * 1024 * 1024);
  const answers = await askFor(huge);
  for (let batch = 0; batch < 30; batch++) {
    const names = Array.from({ length: 10 }, () => randomBytes(8).toString('hex'));
    answers.push(...(await Promise.all(names.map(askFor))).flat());
  }
  const after = await scrape();

  console.log(
    `/metrics: ${before.bytes} bytes and ${before.series} series before, ` +
      `${after.bytes} bytes and ${after.series} series after`,
  );
  expect(
    answers.every((a) => a.status === 404),
    JSON.stringify(answers.slice(0, 3)),
  ).toBe(true);
  // Error bodies do not echo the name back in full.
  expect(Math.max(...answers.map((a) => a.bodyBytes))).toBeLessThan(1_000);
  // No series appear; the bytes grow only by the digits of counts and process figures.
  expect(after.series).toBe(before.series);
  expect(after.bytes - before.bytes).toBeLessThan(10_000);
  expect(api.output().length - logBefore).toBeLessThan(1_000_000);
});
