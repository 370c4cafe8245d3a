// Slow clients: 500 connections dribbling their headers must not slow /health for everyone else, and the
// servers' explicit header timeouts close them.
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { percentile, stackForSuite } from './hostile.js';

const stack = stackForSuite({ api: { HEADERS_TIMEOUT: '5' }, ui: { HEADERS_TIMEOUT: '5' } });

// The attacker runs on its own thread, so that its 500 sockets do not delay the probes' own event loop.
const ATTACKER = `
const { connect } = require('node:net');
const { workerData, parentPort } = require('node:worker_threads');
const { port, host, count, seconds } = workerData;
let closed = 0;
const sockets = [];
for (let i = 0; i < count; i++) {
  const socket = connect(port, host);
  socket.on('error', () => {});
  socket.on('close', () => { closed += 1; });
  socket.write('GET /health HTTP/1.1\\r\\nHost: ' + host + '\\r\\nX-Slow: ');
  sockets.push(socket);
}
const drip = setInterval(() => { for (const s of sockets) if (!s.destroyed) s.write('a'); }, 1000);
setTimeout(() => {
  clearInterval(drip);
  const result = closed;
  for (const s of sockets) s.destroy();
  parentPort.postMessage(result);
}, seconds * 1000);
`;

/** `count` connections that send a request line, then one header byte a second, for `seconds`, while
 * `probe` runs every 50 ms; returns the probe latencies and how many connections the server closed. */
async function slowloris(target: string, count: number, seconds: number, probe: () => Promise<void>) {
  const { hostname, port } = new URL(target);
  const attacker = new Worker(ATTACKER, {
    eval: true,
    workerData: { port: Number(port), host: hostname, count, seconds },
  });
  const closed = new Promise<number>((resolve) => attacker.once('message', resolve));
  await new Promise((r) => setTimeout(r, 500)); // the connections are open
  const latencies: number[] = [];
  const until = Date.now() + (seconds - 1) * 1000;
  while (Date.now() < until) {
    const started = performance.now();
    await probe();
    latencies.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 50));
  }
  const result = { latencies, closed: await closed };
  await attacker.terminate();
  return result;
}

for (const [name, service, path] of [
  ['API', () => stack.api, '/health'],
  ['UI', () => stack.ui, '/healthz'],
] as const) {
  it(`${name}: slowloris with 500 connections for 10 s leaves ${path} p99 under 50 ms (or 3× its quiet p99 on a busy machine)`, async () => {
    const url = `${service().url}${path}`;
    const probe = async () => {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    };
    // The same probes without the attack first: on a busy machine (CI runners, shared hosts) the scheduler
    // alone pushes p99 past 50 ms (a 2-core host at load 15 measured 35-260 ms), so the bound is 50 ms or
    // three times that quiet p99, whichever is larger.
    const quiet: number[] = [];
    for (const until = Date.now() + 5_000; Date.now() < until; ) {
      const started = performance.now();
      await probe();
      quiet.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 50));
    }
    const { latencies, closed } = await slowloris(service().url, 500, 10, probe);
    const p99 = percentile(latencies, 99);
    const quietP99 = percentile(quiet, 99);
    console.log(
      `${name}: p99 ${quietP99.toFixed(1)} ms without the attack; under it ${latencies.length} probes, ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ` +
        `${closed} of 500 slow connections closed by the server`,
    );
    expect(p99).toBeLessThan(Math.max(50, 3 * quietP99));
    expect(closed).toBe(500); // the 5 s header timeout closed every one of them
  });
}
