// The predict pipeline shared by every route that takes an image: admission checks on the main thread
// (ready, known model, format and pixel count from the header), then decode + inference in a worker.
import { performance } from 'node:perf_hooks';
import type { AppDeps } from './app.js';
import { ApiError, notReady } from './errors.js';
import { inspectImage } from './images/format.js';
import type { PredictOptions, PredictResult } from './tasks/types.js';

export interface PredictBody {
  model: string;
  time: number;
  detections: PredictResult['detections'];
  classes?: PredictResult['classes'];
  timings: PredictResult['timings'];
}

export function requireModel(deps: AppDeps, name: string, field = 'model'): void {
  if (!deps.pool.isAccepting) throw notReady();
  if (deps.pool.models.some((m) => m.name === name)) return;
  throw modelFailed(deps, name, field) ?? unknownModel(deps, name, field);
}

/** The error for a model whose files failed to load (the other models serve), or undefined. */
export function modelFailed(deps: AppDeps, name: string, field = 'model'): ApiError | undefined {
  const failure = deps.pool.failed.find((m) => m.name === name);
  if (!failure) return undefined;
  return new ApiError(503, 'model_failed', `model "${name}" failed to load: ${failure.reason}`, { field });
}

export function unknownModel(deps: AppDeps, name: string, field = 'model'): ApiError {
  const available = deps.modelNames.join(', ');
  return new ApiError(404, 'model_not_found', `unknown model "${name}"; available: ${available}`, { field });
}

export async function predictImage(
  deps: AppDeps,
  model: string,
  image: Uint8Array,
  options: PredictOptions,
  startedAt = performance.now(),
): Promise<PredictBody> {
  requireModel(deps, model);
  await inspectImage(image, deps.config.maxPixels);
  const result = await deps.pool.predict(model, image, options);
  deps.metrics.observeStages(model, result.timings);
  return {
    model,
    time: (performance.now() - startedAt) / 1000,
    detections: result.detections,
    ...(result.classes ? { classes: result.classes } : {}),
    timings: result.timings,
  };
}
