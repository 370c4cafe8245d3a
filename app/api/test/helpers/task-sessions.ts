// Loads task predictors on real CPU onnxruntime sessions from a temp models folder, for one describe block.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { namedDetections } from '../../src/tasks/detection-columns.js';
import type { LoadContext, Predictor, PredictResult, TaskDefinition } from '../../src/tasks/types.js';
import { tempModelsDir } from './user-models.js';

/**
 * Call inside describe(): makes a temp models folder before the block, and after it releases every
 * predictor loaded through `load` and removes the folder. Write models into `dir` with writeModel.
 */
export function taskSessions() {
  let dir = '';
  const loaded: Predictor[] = [];
  beforeAll(async () => {
    dir = await tempModelsDir();
  });
  afterAll(async () => {
    for (const p of loaded) await p.release();
    await rm(dir, { recursive: true, force: true });
  });
  const context = (name: string): LoadContext => ({
    modelDir: join(dir, name),
    sessionOptions: { executionProviders: ['cpu'] },
    providers: ['cpu'],
  });
  return {
    /** The models folder (set once the block's beforeAll ran). */
    get dir() {
      return dir;
    },
    /** `task.load` on models/<manifest.name>, answering as the API does; released after the block. */
    async load<M extends { name: string; task: string }>(task: TaskDefinition<M>, manifest: M) {
      const predictor = await task.load(manifest, context(manifest.name));
      loaded.push(predictor);
      return answering(predictor);
    },
  };
}

/** A result with its detections (and classify's classes) named as the API answers them. */
export type NamedResult = PredictResult & ReturnType<typeof namedDetections>;

/** The predictor with every result named by the main thread's namedDetections(), as the API answers. */
function answering(predictor: Predictor) {
  const { predictBatch } = predictor;
  const named = (result: PredictResult): NamedResult => ({
    ...result,
    ...namedDetections(result, predictor.info.labels),
  });
  return {
    ...predictor,
    predict: async (...args: Parameters<Predictor['predict']>) => named(await predictor.predict(...args)),
    predictBatch:
      predictBatch &&
      (async (...args: Parameters<NonNullable<Predictor['predictBatch']>>) =>
        (await predictBatch(...args)).map((o) =>
          o.status === 'fulfilled' ? { ...o, value: named(o.value) } : o,
        )),
  };
}
