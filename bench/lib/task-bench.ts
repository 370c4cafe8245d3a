// The detect and classify tasks through the real API, on the synthetic models of tasks.ts, served by a second
// API with only those models in its MODELS_DIR so the OCR figures are not touched.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { predict, predictRequest, scrape, stageBreakdown } from './api-client.js';
import { startApi } from './api-process.js';
import type { BenchInput } from './inputs.js';
import { type SequentialBudget, timeSequential } from './load.js';
import { describeCommit } from './machine.js';
import { renderTasks } from './markdown.js';
import { splitRecorder } from './model-split.js';
import type { TaskLatency } from './results.js';
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

/** `--only tasks`: the task figures alone, to <out>/tasks.{md,json} (latest.* are left as they are). */
export async function writeTasksOnly(
  out: string,
  tasks: TaskLatency[],
  log: (message: string) => void,
): Promise<void> {
  await mkdir(out, { recursive: true });
  const base = join(out, 'tasks');
  const date = new Date().toISOString();
  await writeFile(`${base}.json`, `${JSON.stringify({ date, commit: describeCommit(), tasks }, null, 2)}\n`);
  const title = `# modelship benchmark: detect and classify only\n\n${date} · commit ${describeCommit()}\n\n`;
  await writeFile(`${base}.md`, `${title}${renderTasks(tasks).join('\n')}\n`);
  log(`wrote ${base}.md and ${base}.json`);
}
