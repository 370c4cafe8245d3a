// Requests Node's HTTP server refuses before the app sees them get the same JSON error body as every other
// error (Node's own answer is a bare status line): a real server (serveHttp, as both processes run it) and raw
// sockets, since fetch can't send these.
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Hono } from 'hono';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HttpServer, serveHttp } from '../src/http-server.js';

let http: HttpServer;
let port = 0;
beforeAll(async () => {
  const app = new Hono().get('/', (c) => c.text('ok'));
  await new Promise<void>((resolve) => {
    http = serveHttp(
      { fetch: app.fetch, port: 0, hostname: '127.0.0.1', timeouts: { headers: 1, upload: 1, keepAlive: 1 } },
      (info: AddressInfo) => {
        port = info.port;
        resolve();
      },
    );
  });
});
afterAll(async () => {
  http.server.closeAllConnections();
  await new Promise((resolve) => http.server.close(resolve));
});

/** Sends `raw`, keeps the socket open, and resolves with everything the server answers before it closes. */
function exchange(raw: string): Promise<{ status: number; type: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({
        status: Number(head.split(' ')[1]),
        type: /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? '',
        body: body ? JSON.parse(body) : undefined,
      });
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
    socket.write(raw);
  });
}

it('headers over the limit: 431 with a JSON body naming the limit', async () => {
  const answer = await exchange(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  expect(answer).toEqual({
    status: 431,
    type: 'application/json',
    body: { error: 'headers_too_large', detail: 'the request headers are over the size limit (16 KiB)' },
  });
});

it('a request whose headers never finish: 408 with a JSON body', async () => {
  const answer = await exchange('GET / HTTP/1.1\r\nHost: x\r\n');
  expect(answer).toMatchObject({ status: 408, type: 'application/json', body: { error: 'request_timeout' } });
});

it('bytes that are not HTTP: 400 with a JSON body', async () => {
  const answer = await exchange('HELLO THERE\r\n\r\n');
  expect(answer).toMatchObject({ status: 400, type: 'application/json', body: { error: 'invalid_request' } });
});

it('a valid request is served as usual afterwards', async () => {
  expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
});
