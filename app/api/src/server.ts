// The API process: config → manifests → workers → listen (so /health answers during warm-up) → ready.
// SIGTERM/SIGINT: stop accepting, finish the requests in flight, stop the workers, exit 0.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { ManifestError } from './models/manifests.js';
import { createRuntime } from './runtime.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fatal(error.message);
    throw error;
  }
  const logger = createLogger(config.logLevel);

  let runtime: Awaited<ReturnType<typeof createRuntime>>;
  try {
    runtime = await createRuntime(config, logger);
  } catch (error) {
    if (error instanceof ManifestError) fatal(error.message);
    throw error;
  }
  const { app, pool, deps } = runtime;

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }) as Server;
  server.on('listening', () => {
    const { port } = server.address() as AddressInfo;
    logger.info(
      { port, host: config.host, version: deps.version },
      `listening on http://${config.host}:${port}`,
    );
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    const hint = error.code === 'EADDRINUSE' ? ' (another program uses this port: stop it, or set PORT)' : '';
    fatal(`cannot listen on ${config.host}:${config.port}: ${error.message}${hint}`);
  });

  const started = performance.now();
  pool.ready.then(
    () => logger.info({ seconds: Math.round(performance.now() - started) / 1000 }, 'ready: models warmed up'),
    (error: Error) => fatal(`models failed to load: ${error.message}`),
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    pool.drain();
    const deadline = setTimeout(() => {
      logger.error(`shutdown took over ${config.shutdownTimeout} s; exiting`);
      process.exit(1);
    }, config.shutdownTimeout * 1000);
    deadline.unref();
    // Idle keep-alive connections would hold close() open; in-flight ones are closed after their response.
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    server.close(async () => {
      clearInterval(idle);
      await pool.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** A startup problem the user can fix: one clear line on stderr, exit 1, no stack trace. */
function fatal(message: string): never {
  console.error(`modelship-api: ${message}`);
  process.exit(1);
}

await main();
