// D4: the UI proxy streams uploads instead of buffering them. Before: 16 parallel 26 MB uploads took the UI
// process from ~70 MB to over 1 GB, and the API then refused them all (its limit is lower).
import http from 'node:http';
import { expect, it } from 'vitest';
import { errorCode, peakRss, stackForSuite } from './hostile.js';

const stack = stackForSuite();

const MB = 1024 * 1024;

/** Uploads `bytes` in 64 KB writes (with or without Content-Length); resolves with the status, or the error
 * code when the connection failed before any response. */
function upload(bytes: Buffer, declareLength: boolean): Promise<string> {
  return new Promise((resolve) => {
    let answered = false;
    const req = http.request(`${stack.ui.url}/api/v1/models/ocr/predict`, {
      method: 'POST',
      headers: {
        'content-type': 'image/png',
        ...(declareLength ? { 'content-length': String(bytes.length) } : {}),
      },
    });
    req.on('response', (res) => {
      answered = true;
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
    });
    // Writing on after an early 413 ends in EPIPE/ECONNRESET: only a failure without an answer counts.
    req.on('error', (error) => {
      if (!answered) resolve(errorCode(error));
    });
    let offset = 0;
    const write = () => {
      while (offset < bytes.length) {
        const chunk = bytes.subarray(offset, offset + 64 * 1024);
        offset += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

async function uploads(count: number, size: number, declareLength: boolean) {
  const body = Buffer.alloc(size, 7);
  const sampler = peakRss(stack.ui.pid);
  const outcomes = await Promise.all(Array.from({ length: count }, () => upload(body, declareLength)));
  return { outcomes, peakMb: sampler.stop() };
}

it('16 × 26 MB uploads with Content-Length: an early 413 each, UI RSS under 150 MB', async () => {
  const { outcomes, peakMb } = await uploads(16, 26_000_000, true);
  console.log(`16 × 26 MB (Content-Length): ${outcomes.join(',')}; UI peak RSS ${peakMb.toFixed(0)} MB`);
  expect(outcomes).toEqual(Array(16).fill('413'));
  expect(peakMb).toBeLessThan(150);
});

it('16 × 26 MB chunked uploads: 413 once past the limit, UI RSS under 150 MB', async () => {
  const { outcomes, peakMb } = await uploads(16, 26_000_000, false);
  console.log(`16 × 26 MB (chunked): ${outcomes.join(',')}; UI peak RSS ${peakMb.toFixed(0)} MB`);
  expect(outcomes).toEqual(Array(16).fill('413'));
  expect(peakMb).toBeLessThan(150);
});

it('8 × 15 MB uploads within the limit stream through to the API (which refuses the non-image)', async () => {
  const { outcomes, peakMb } = await uploads(8, 15 * MB, true);
  console.log(`8 × 15 MB (Content-Length): ${outcomes.join(',')}; UI peak RSS ${peakMb.toFixed(0)} MB`);
  expect(
    outcomes.every((o) => o === '400' || o === '503'),
    outcomes.join(),
  ).toBe(true);
  expect(outcomes).toContain('400');
  expect(peakMb).toBeLessThan(150);
});
