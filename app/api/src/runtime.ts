// Everything the server runs, assembled from a config: manifests, providers, the worker pool, metrics and
// the app. Tests build the same runtime in-process; server.ts adds the listening socket and signals.
//
// Cold start is a user's wait on a service that scales from zero, so the workers start first: they load and
// warm up the models (the long part) while this thread loads the HTTP app, which is imported only then.
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { DataPlane } from './data-plane.js';
import { loadManifests } from './models/manifests.js';
import { chooseProviders, sessionOptions } from './ort/session.js';
import { InferencePool } from './pool/pool.js';
import type { AppDeps, Router } from './routes/router.js';
import { appVersion } from './version.js';

export interface Runtime {
  app: Router;
  deps: AppDeps;
  pool: InferencePool;
}

/** Loads and validates the manifests and starts the workers. Await `pool.ready` for the warmed-up state. */
export async function createRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const manifests = await loadManifests(config.modelsDir);
  const { providers, active } = await chooseProviders(config.providers, (line) => logger.warn(line));
  if (config.workersNotice) logger[config.workersNotice.level](config.workersNotice.message);
  logger.info(
    {
      models: manifests.map((m) => m.name),
      provider: active,
      workers: config.workers,
      queueSize: config.queueSize,
    },
    'loading models',
  );
  const pool = new InferencePool({
    models: manifests,
    providers,
    sessionOptions: sessionOptions(providers, config.workers),
    maxPixels: config.maxPixels,
    maxBoxes: config.maxBoxes,
    workers: config.workers,
    queueSize: config.queueSize,
    onError: (error) => logger.error({ err: error }, 'inference worker failed; replacing it'),
  });
  // Load warnings and failed models are logged once, by the main thread (every worker loads the same files).
  pool.ready.then(
    () => {
      for (const w of pool.warnings) logger.warn({ model: w.model }, `model "${w.model}": ${w.message}`);
      for (const f of pool.failed)
        logger.error(
          { model: f.name, reason: f.reason },
          `model "${f.name}" failed to load; the other models serve`,
        );
    },
    () => undefined,
  );
  const [{ createApp }, { createMetrics }] = await Promise.all([import('./app.js'), import('./metrics.js')]);
  const metrics = createMetrics(() => ({
    queueDepth: pool.queueDepth,
    inFlight: pool.inFlight,
    workers: pool.workers,
    inferenceThreadIds: pool.inferenceThreadIds,
  }));
  const plane = new DataPlane({ pool, config, modelNames: manifests.map((m) => m.name), metrics });
  const deps: AppDeps = {
    plane,
    config,
    version: appVersion(config.appVersion),
    logger,
    metrics,
  };
  return { app: createApp(deps), deps, pool };
}
