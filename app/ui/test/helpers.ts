// Real servers on ephemeral ports for the UI server's tests.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface Running {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function listen(app: Hono, port = 0): Promise<Running> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
    server.once('error', reject); // e.g. EADDRINUSE: fail now, not at the test's timeout
  });
}

export const INDEX_HTML =
  '<!doctype html><title>modelship</title><script type="module" src="/assets/app-abc123.js"></script>';
export const APP_JS = `console.log(${JSON.stringify('x'.repeat(4000))});`;

/** A static dir shaped like the Vite build: index.html, a hashed asset, and its .br/.gz siblings. */
export async function staticDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'modelship-ui-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), INDEX_HTML);
  await writeFile(join(dir, 'assets/app-abc123.js'), APP_JS);
  await writeFile(join(dir, 'assets/app-abc123.js.gz'), gzipSync(APP_JS));
  await writeFile(join(dir, 'assets/app-abc123.js.br'), brotliCompressSync(APP_JS));
  return dir;
}
