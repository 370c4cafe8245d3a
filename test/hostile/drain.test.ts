// D3: SIGTERM under keep-alive load. Before: exit 134 (a worker terminated inside onnxruntime) and 16-20
// ECONNRESET, because drained responses kept their connections alive until the deadline's process.exit.
import http from 'node:http';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, spawnNode, waitFor } from '../browser/stack.js';
import { textFixture } from '../fixtures/text-images.js';
import { freePort } from '../helpers/free-port.js';
import { errorCode, request } from './hostile.js';

it('SIGTERM under 16 busy keep-alive clients: every accepted request answered, no resets, exit 0', async () => {
  const port = await freePort();
  const api = spawnNode([join(ROOT, 'app/api/dist/server.js')], {
    HOST: '127.0.0.1',
    PORT: String(port),
    WORKERS: '2',
    QUEUE_SIZE: '8',
    LOG_LEVEL: 'info',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/ready`, api.child, api.output, 150_000);
  const image = (await textFixture('paragraph')).png;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  const statuses = new Map<string, number>();
  const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
  let closeHeaders = 0;
  let signalled = 0;
  const until = Date.now() + 45_000; // bound: the loop ends when the server is gone, or here
  const client = async () => {
    while (Date.now() < until) {
      try {
        const res = await request(`${url}/v1/models/ocr/predict`, {
          method: 'POST',
          agent,
          headers: { 'content-type': 'image/png' },
          body: image,
        });
        count(String(res.status));
        if (signalled && res.headers.connection === 'close') closeHeaders += 1;
        if (res.status === 503) await new Promise((r) => setTimeout(r, 50));
      } catch (error) {
        const code = errorCode(error);
        count(code);
        if (code === 'ECONNREFUSED') return; // the listener is closed: the drain is under way
      }
    }
  };
  const clients = Array.from({ length: 16 }, client);
  await new Promise((r) => setTimeout(r, 3_000));
  signalled = Date.now();
  api.child.kill('SIGTERM');
  const [exitCode] = await Promise.all([api.exited, ...clients]);
  agent.destroy();
  const drainSeconds = (Date.now() - signalled) / 1000;

  console.log(
    `exit ${exitCode} after ${drainSeconds.toFixed(1)} s; outcomes ${JSON.stringify(Object.fromEntries(statuses))}; ` +
      `${closeHeaders} drained responses with Connection: close`,
  );
  expect(exitCode, api.output().slice(-2_000)).toBe(0);
  const outcomes = [...statuses.keys()];
  expect(outcomes.filter((k) => !['200', '503', 'ECONNREFUSED'].includes(k))).toEqual([]);
  expect(statuses.get('200') ?? 0).toBeGreaterThan(0);
  expect(closeHeaders).toBeGreaterThan(0);
});
