// The API process: config → manifests → workers → listen (so /health answers during warm-up) → ready.
// SIGTERM/SIGINT: drain (see shutdown below), stop the workers once idle, exit 0.

import type { Server } from 'node:http';
import { type AddressInfo, Server as NetServer } from 'node:net';
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

  const timeouts = config.httpTimeouts;
  const server = serve({
    fetch: app.fetch,
    port: config.port,
    hostname: config.host,
    // Explicit bounds on slow clients (Node's defaults are 60 s for headers and 300 s for the request);
    // the check runs every second so that a slowloris connection is cut close to its deadline.
    serverOptions: {
      headersTimeout: timeouts.headers * 1000,
      requestTimeout: timeouts.upload * 1000,
      keepAliveTimeout: timeouts.keepAlive * 1000,
      connectionsCheckingInterval: 1_000,
    },
  }) as Server;
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
    // Requests still arriving are served, each answered with Connection: close; the listener stops now.
    // Once every connection has ended, the callback stops the workers.
    deps.plane.drain();
    // net.Server's close, not http.Server's: that one also drops idle keep-alive connections at once, and a
    // client sending its next request on one just then reads a reset. Idle connections instead end at their
    // keep-alive timeout, which clients know from the Keep-Alive header, and retire first.
    Reflect.apply(NetServer.prototype.close, server, [
      async () => {
        clearTimeout(deadline);
        // Waits for each worker to finish its current model run: terminating a thread inside onnxruntime
        // aborts the whole process.
        await pool.close();
        logger.info('stopped');
        process.exit(0);
      },
    ]);
    // At the deadline, whatever still runs wraps up at its next check (between stages or OCR crops) and is
    // answered 503; connections left (idle, or a slow upload) are closed a moment later.
    const deadline = setTimeout(() => {
      logger.warn(
        `requests still running after ${config.shutdownTimeout} s (SHUTDOWN_TIMEOUT); stopping them`,
      );
      pool.stopAll();
      setTimeout(() => server.closeAllConnections(), 1_000).unref();
    }, config.shutdownTimeout * 1000);
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
