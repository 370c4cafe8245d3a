// D3: SIGTERM under keep-alive load. Before: exit 134 (a worker terminated inside onnxruntime) and 16-20
// ECONNRESET, because drained responses kept their connections alive until the deadline's process.exit.
// The UI server shares the API's HTTP server (app/api/src/http-server.ts), and so its drain: tested here too.
import http from 'node:http';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, type Spawned, spawnNode, waitFor } from '../browser/stack.js';
import { textFixture } from '../fixtures/text-images.js';
import { freePort } from '../helpers/free-port.js';
import { denseTextPng, errorCode, request } from './hostile.js';

/** The built API on a free port, with two workers and a short queue, once it is ready. */
async function startApi(env: Record<string, string> = {}) {
  const port = await freePort();
  const api = spawnNode([join(ROOT, 'app/api/dist/server.js')], {
    HOST: '127.0.0.1',
    PORT: String(port),
    WORKERS: '2',
    QUEUE_SIZE: '8',
    LOG_LEVEL: 'info',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/ready`, api.child, api.output, 150_000);
  return { api, url };
}

/**
 * `clients` keep-alive clients POST `body` to `url` in a loop; after 3 s `server` gets SIGTERM. Resolves once
 * it has exited and every client has stopped (at ECONNREFUSED: the listener is closed), with its exit code, the
 * outcome counts (status or socket error), and how many answers after the signal said Connection: close.
 */
async function sigtermUnderLoad(server: Spawned, url: string, body: Buffer, clients: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const statuses = new Map<string, number>();
  const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
  let closeHeaders = 0;
  let signalled = 0;
  const until = Date.now() + 45_000; // bound: the loop ends when the server is gone, or here
  const client = async () => {
    while (Date.now() < until) {
      try {
        const res = await request(url, {
          method: 'POST',
          agent,
          headers: { 'content-type': 'image/png' },
          body,
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
  const running = Array.from({ length: clients }, client);
  await new Promise((r) => setTimeout(r, 3_000));
  signalled = Date.now();
  server.child.kill('SIGTERM');
  const [exitCode] = await Promise.all([server.exited, ...running]);
  agent.destroy();
  console.log(
    `exit ${exitCode} after ${((Date.now() - signalled) / 1000).toFixed(1)} s; outcomes ` +
      `${JSON.stringify(Object.fromEntries(statuses))}; ${closeHeaders} drained responses with Connection: close`,
  );
  return { exitCode, statuses, closeHeaders };
}

it('SIGTERM under 16 busy keep-alive clients: every accepted request answered, no resets, exit 0', async () => {
  const { api, url } = await startApi();
  const image = (await textFixture('paragraph')).png;
  const { exitCode, statuses, closeHeaders } = await sigtermUnderLoad(
    api,
    `${url}/v1/models/ocr/predict`,
    image,
    16,
  );
  expect(exitCode, api.output().slice(-2_000)).toBe(0);
  const outcomes = [...statuses.keys()];
  expect(outcomes.filter((k) => !['200', '503', 'ECONNREFUSED'].includes(k))).toEqual([]);
  expect(statuses.get('200') ?? 0).toBeGreaterThan(0);
  expect(closeHeaders).toBeGreaterThan(0);
});

it('the UI server drains the same way: SIGTERM under 8 keep-alive clients of its proxy, no resets, exit 0', async () => {
  const { api, url: apiUrl } = await startApi();
  try {
    const port = await freePort();
    const ui = spawnNode([join(ROOT, 'app/ui/dist/server/server.js')], {
      HOST: '127.0.0.1',
      PORT: String(port),
      API_URL: apiUrl,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/healthz`, ui.child, ui.output, 20_000);
    const image = (await textFixture('line')).png;
    const { exitCode, statuses, closeHeaders } = await sigtermUnderLoad(
      ui,
      `${url}/api/v1/models/ocr/predict`,
      image,
      8,
    );
    expect(exitCode, ui.output().slice(-2_000)).toBe(0);
    expect([...statuses.keys()].filter((k) => !['200', 'ECONNREFUSED'].includes(k))).toEqual([]);
    expect(statuses.get('200') ?? 0).toBeGreaterThan(0);
    expect(closeHeaders).toBeGreaterThan(0);
  } finally {
    api.child.kill('SIGTERM');
    await api.exited;
  }
});

it('SIGTERM with dense requests running past SHUTDOWN_TIMEOUT: they are stopped (503), exit 0', async () => {
  const { api, url } = await startApi({ SHUTDOWN_TIMEOUT: '2' });
  const dense = await denseTextPng();
  // Two run, two wait in the queue: all four outlive the 2 s drain deadline.
  const requests = Array.from({ length: 4 }, () =>
    request(`${url}/v1/models/ocr/predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: dense,
    }).then(
      (res) => String(res.status),
      (error) => errorCode(error),
    ),
  );
  await new Promise((r) => setTimeout(r, 1_000));
  const signalled = Date.now();
  api.child.kill('SIGTERM');
  const [exitCode, ...outcomes] = await Promise.all([api.exited, ...requests]);
  console.log(
    `exit ${exitCode} after ${((Date.now() - signalled) / 1000).toFixed(1)} s; answers ${outcomes}`,
  );
  expect(exitCode, api.output().slice(-2_000)).toBe(0);
  expect(
    outcomes.every((o) => o === '503' || o === '200'),
    outcomes.join(),
  ).toBe(true);
});
