// deploy/healthcheck.mjs, the images' health probe, against a real HTTP server.
import { execFile, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const probe = fileURLToPath(new URL('../../deploy/healthcheck.mjs', import.meta.url));
let server: Server;
let port: number;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    res.statusCode = req.url === '/ready' ? 200 : 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** The probe's exit code, run as Docker runs it: an executable, configured only by its environment. */
const run = (env: Record<string, string>) =>
  // execFile, not spawnSync, which would block the event loop this test's server answers on
  new Promise<number | null>((resolve) => {
    execFile(probe, { env: { PATH: process.env.PATH ?? '', ...env } }, (error) =>
      resolve(error ? ((error as { code?: number }).code ?? null) : 0),
    );
  });

describe('deploy/healthcheck.mjs', () => {
  it('exits 0 when PORT and HEALTH_PATH answer 2xx, 1 on any other status', async () => {
    expect(await run({ PORT: String(port), HEALTH_PATH: '/ready' })).toBe(0);
    expect(await run({ PORT: String(port), HEALTH_PATH: '/healthz' })).toBe(1);
    expect(seen).toEqual(['/ready', '/healthz']);
  });

  it('exits 1 when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const free = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await run({ PORT: String(free), HEALTH_PATH: '/ready' })).toBe(1);
  });

  it('exits 2 with a message when the image did not configure it', () => {
    const result = spawnSync(probe, {
      env: { PATH: process.env.PATH ?? '', PORT: '8000' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/PORT and HEALTH_PATH/);
  });
});
