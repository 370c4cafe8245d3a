// The API process: config → port check → manifests → workers → listen (so /health answers during warm-up) → ready.
// SIGTERM/SIGINT: drain (see shutdown below), stop the workers once idle, exit 0.

import { type AddressInfo, createServer } from 'node:net';
import { loadConfig } from './config.js';
import { serveHttp } from './http-server.js';
import { createLogger } from './logger.js';
import { ManifestError } from './models/manifests.js';
import { createRuntime } from './runtime.js';
import { ConfigError } from './shared-env.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fatal(error.message);
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // Before any worker starts: exiting while onnxruntime loads in one can abort the process (SIGABRT, about 1
  // start in 40 with the port taken), instead of the one line and exit 1 below.
  const taken = await bindError(config.host, config.port);
  if (taken) fatal(listenFailure(config, taken));

  let runtime: Awaited<ReturnType<typeof createRuntime>>;
  try {
    runtime = await createRuntime(config, logger);
  } catch (error) {
    if (error instanceof ManifestError) fatal(error.message);
    throw error;
  }
  const { app, pool, deps } = runtime;

  const { server, drain } = serveHttp({
    fetch: app.fetch,
    port: config.port,
    hostname: config.host,
    timeouts: config.httpTimeouts,
  });
  server.on('listening', () => {
    const { port } = server.address() as AddressInfo;
    logger.info(
      { port, host: config.host, version: deps.version },
      `listening on http://${config.host}:${port}`,
    );
  });
  server.on('error', (error: NodeJS.ErrnoException) => fatal(listenFailure(config, error)));

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
    // /ready turns 503, so balancers stop sending; what still arrives is served, and the server closes each
    // connection after its response. Once every connection has ended, the workers stop.
    deps.plane.drain();
    drain({
      timeoutSeconds: config.shutdownTimeout,
      // Whatever still runs wraps up at its next check (between stages or OCR crops) and is answered 503.
      onDeadline: () => {
        logger.warn(
          `requests still running after ${config.shutdownTimeout} s (SHUTDOWN_TIMEOUT); stopping them`,
        );
        pool.stopAll();
      },
      onClosed: async () => {
        // Waits for each worker to finish its current model run: terminating a thread inside onnxruntime
        // aborts the whole process.
        await pool.close();
        logger.info('stopped');
        process.exit(0);
      },
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** The error binding host:port gives now (the port in use, no permission...), or undefined when it is free. */
function bindError(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', resolve);
    probe.listen(port, host, () => probe.close(() => resolve(undefined)));
  });
}

function listenFailure(config: { host: string; port: number }, error: NodeJS.ErrnoException): string {
  const hint = error.code === 'EADDRINUSE' ? ' (another program uses this port: stop it, or set PORT)' : '';
  return `cannot listen on ${config.host}:${config.port}: ${error.message}${hint}`;
}

/** A startup problem the user can fix: one clear line on stderr, exit 1, no stack trace. */
function fatal(message: string): never {
  console.error(`modelship-api: ${message}`);
  process.exit(1);
}

await main();
