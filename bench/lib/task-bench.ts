// The detect and classify tasks through the real API, on the synthetic models of tasks.ts, served by a second
// API with only those models in its MODELS_DIR so the OCR figures are not touched.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { predict, predictRequest, scrape, stageBreakdown, waitIdle } from './api-client.js';
import { startApi } from './api-process.js';
import type { BenchInput } from './inputs.js';
import { runLoad, type SequentialBudget, timeSequential } from './load.js';
import { describeCommit } from './machine.js';
import { renderTaskLoad, renderTasks } from './markdown.js';
import { splitRecorder } from './model-split.js';
import type { TaskLatency, TaskLoad } from './results.js';
import { summarize } from './stats.js';
import { writeTaskModels } from './tasks.js';

/** An encoded image the task models get. */
export interface TaskInput {
  id: string;
  bytes: Buffer;
  width: number;
  height: number;
}

/** The photo-like JPEG (720×360) as a phone would send it, and the same scene as a 1280×720 JPEG. */
export async function taskInputs(photo: BenchInput): Promise<TaskInput[]> {
  const hd = await sharp(photo.bytes).resize(1280, 720, { fit: 'fill' }).jpeg({ quality: 72 }).toBuffer();
  return [
    { id: photo.id, bytes: photo.bytes, width: photo.width, height: photo.height },
    { id: `${photo.id}-1280x720`, bytes: hd, width: 1280, height: 720 },
  ];
}

/** Every synthetic model on every input at concurrency 1, with the per-request model/other split. */
export async function measureTasks(
  inputs: TaskInput[],
  cores: number,
  warmup: number,
  budget: SequentialBudget,
  log: (message: string) => void,
): Promise<TaskLatency[]> {
  const modelsDir = await mkdtemp(join(tmpdir(), 'modelship-bench-tasks-'));
  const results: TaskLatency[] = [];
  try {
    const models = await writeTaskModels(modelsDir);
    const api = await startApi({ WORKERS: String(cores), ORT_PROVIDERS: 'cpu', MODELS_DIR: modelsDir });
    try {
      for (const model of models) {
        for (const input of inputs) {
          log(`latency at concurrency 1: ${model.task} (${model.model}, synthetic) on ${input.id}`);
          const request = predictRequest(input, model.model);
          const call = () => predict(api.url, request);
          for (let i = 0; i < warmup; i++) await call();
          const split = splitRecorder(['inference']);
          const before = await scrape(api.url);
          const run = await timeSequential(split.wrap(call), budget);
          const after = await scrape(api.url);
          results.push({
            ...model,
            input: input.id,
            latency: summarize(run.latenciesMs),
            ...stageBreakdown(before, after, run.latenciesMs.length),
            split: split.summary(),
            detections: run.last?.detections.length ?? 0,
          });
        }
      }
    } finally {
      await api.stop();
    }
  } finally {
    await rm(modelsDir, { recursive: true, force: true });
  }
  return results;
}

/** The batching the "on" rows use: up to 8 requests, gathered for at most 2 ms. */
const BATCHING = { enabled: true, maxBatchSize: 8, maxBatchDelayMs: 2 };

/**
 * Each synthetic model under autocannon load on one input: batching off at 1 and at `connections`
 * concurrent clients, then on at `connections`, each from a freshly started API. CPU only here.
 */
export async function measureTaskLoad(
  input: TaskInput,
  cores: number,
  connections: number,
  seconds: number,
  log: (message: string) => void,
): Promise<TaskLoad[]> {
  const runs: TaskLoad[] = [];
  for (const batching of [undefined, BATCHING]) {
    const modelsDir = await mkdtemp(join(tmpdir(), 'modelship-bench-tasks-'));
    try {
      const models = await writeTaskModels(modelsDir, batching);
      const api = await startApi({ WORKERS: String(cores), ORT_PROVIDERS: 'cpu', MODELS_DIR: modelsDir });
      const setting = batching
        ? `on: maxBatchSize ${batching.maxBatchSize}, maxBatchDelayMs ${batching.maxBatchDelayMs}`
        : 'off';
      try {
        for (const model of models) {
          for (const clients of batching ? [connections] : [1, connections]) {
            log(`load: ${model.task} on ${input.id}, ${clients} clients, batching ${setting}`);
            const load = await runLoad(api.url, {
              ...predictRequest(input, model.model),
              connections: clients,
              seconds,
            });
            await waitIdle(api.url);
            runs.push({ task: model.task, model: model.model, input: input.id, batching: setting, ...load });
          }
        }
      } finally {
        await api.stop();
      }
    } finally {
      await rm(modelsDir, { recursive: true, force: true });
    }
  }
  return runs;
}

/** `--only tasks`: the task figures alone, to <out>/tasks.{md,json} (latest.* are left as they are). */
export async function writeTasksOnly(
  out: string,
  tasks: TaskLatency[],
  taskLoad: TaskLoad[],
  log: (message: string) => void,
): Promise<void> {
  await mkdir(out, { recursive: true });
  const base = join(out, 'tasks');
  const date = new Date().toISOString();
  await writeFile(
    `${base}.json`,
    `${JSON.stringify({ date, commit: describeCommit(), tasks, taskLoad }, null, 2)}\n`,
  );
  const title = `# modelship benchmark: detect and classify only\n\n${date} · commit ${describeCommit()}\n\n`;
  await writeFile(
    `${base}.md`,
    `${title}${[...renderTasks(tasks), ...renderTaskLoad(taskLoad)].join('\n')}\n`,
  );
  log(`wrote ${base}.md and ${base}.json`);
}
