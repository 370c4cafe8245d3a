// The shape of bench/results/latest.json. Times in milliseconds, memory in MiB, sizes in MB (10^6 bytes).

import type { CerScore } from './cer.js';
import type { ModelSplit } from './model-split.js';
import type { OcrEvalResults } from './ocr-eval/bench.js';
import type { LatencySummary } from './stats.js';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  onnxruntime: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews the figures. */
  loadAverage: { start: number; end: number };
}

export interface InputInfo {
  id: string;
  description: string;
  width: number;
  height: number;
  bytes: number;
  characters: number;
}

export interface SizeLatency {
  input: string;
  api: LatencySummary;
  peer: LatencySummary;
  /** API p50 / peer p50 (below 1: the API is faster). */
  ratioP50: number;
  ratioP95: number;
  /** Mean milliseconds per request in each server stage, from /metrics histograms. */
  stages: Record<string, number>;
  /** Server-side total (the per-model request histogram), to separate HTTP + JSON overhead. */
  serverMs?: number;
  /** Per request: the network stages (detection + recognition) against everything else (p50s). */
  split?: ModelSplit;
}

/** A detect or classify model at concurrency 1 (synthetic tiny models: see bench/lib/tasks.ts). */
export interface TaskLatency {
  task: 'detect' | 'classify';
  model: string;
  description: string;
  /** The bench input sent (its encoded bytes, as `POST /predict` base64 JSON). */
  input: string;
  latency: LatencySummary;
  /** Mean milliseconds per request in each server stage (decode, preprocess, inference, postprocess). */
  stages: Record<string, number>;
  serverMs?: number;
  /** Per request: the model's run against everything else the server did (p50s). */
  split: ModelSplit;
  /** Entries in the last response's `detections` (boxes after NMS, or top-k classes). */
  detections: number;
}

/** A detect or classify model under autocannon load, with dynamic batching off or on (CPU). */
export interface TaskLoad extends LoadRun {
  task: 'detect' | 'classify';
  model: string;
  input: string;
  /** The manifest's batching setting, e.g. "off" or "on: maxBatchSize 8, maxBatchDelayMs 2". */
  batching: string;
}

export interface SizeAccuracy {
  input: string;
  api: CerScore;
  peer: CerScore;
  apiText: string;
  peerText: string;
}

export interface LoadRun {
  concurrency: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  /** Non-2xx answers and transport errors (a 503 from a full queue counts here). */
  errors: number;
  /** Where the CPU went during the run (throughput runs only). */
  cpu?: CpuUse;
}

export interface CpuUse {
  /** API process CPU per completed request, ms (all its threads). */
  apiMsPerRequest: number;
  /** Cores the API kept busy on average: its CPU seconds over the run's seconds. */
  apiCores: number;
  /** Cores busy on the whole machine (the API, the bench's own load generator and anything else running). */
  machineCores: number;
  /**
   * The API's CPU per request by thread (Linux): the main thread (HTTP, JSON, base64, header read, hand-off),
   * the inference workers (decode, pre/postprocessing, onnxruntime) and the others (V8's garbage collector and
   * compiler, libuv's pool, libvips' threads).
   */
  threadMsPerRequest?: { main: number; inference: number; other: number };
  /** The bench process's own CPU per request: the load generator (autocannon) shares the cores. */
  clientMsPerRequest?: number;
}

export interface HealthUnderLoad {
  concurrency: number;
  latency: LatencySummary;
  errors: number;
}

export interface Memory {
  idleMiB: number | null;
  peakUnderLoadMiB: number | null;
  afterRequests: { requests: number; input: string; beforeMiB: number | null; afterMiB: number | null };
}

export interface ImageSize {
  image: string;
  totalMB: number;
  base: string | null;
  addedMB: number | null;
  layers: { sizeMB: number; createdBy: string }[];
}

export interface DockerFigures {
  /** Why there are no Docker figures at all (no engine). */
  unavailable?: string;
  /** Null when the API image is not built. `startToHealthyMs` is null when the image has no HEALTHCHECK. */
  containerStart: { startToReadyMs: number; startToHealthyMs: number | null } | null;
  /** Why `containerStart` is null while the engine answers (image not built, container failed). */
  containerMissing?: string;
  images: ImageSize[];
}

export interface Experiment {
  name: string;
  setting: string;
  concurrency: number;
  input: string;
  requests: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  /** Against the same input's run on the default API in this experiment set. */
  note?: string;
}

export interface BenchResults {
  schema: 1;
  date: string;
  mode: 'quick' | 'default';
  /** Short hash of the commit measured; "+changes" when app/ or models/ had uncommitted edits. */
  commit: string | null;
  durationSeconds: number;
  machine: Machine;
  api: { workers: number; providers: string; env: Record<string, string> };
  inputs: InputInfo[];
  coldStart: {
    spawnToReadyMs: number[];
    medianMs: number;
    /** The peer's own model load in the same run: Ocr.create() plus its first call (its equivalent of /ready). */
    peerLoadMs?: number;
  };
  latency: SizeLatency[];
  accuracy: { sizes: SizeAccuracy[]; apiCer: number; peerCer: number };
  throughput: { input: string; runs: LoadRun[]; health: HealthUnderLoad | null };
  /** The detect and classify tasks on synthetic tiny models, from a second API serving only them. */
  tasks: TaskLatency[];
  /** The same models under load, batching off and on (absent in results from before it was measured). */
  taskLoad?: TaskLoad[];
  memory: Memory;
  docker: DockerFigures;
  experiments: Experiment[];
  notes: string[];
  /** The held-out OCR evaluation set, three readers (absent in results written before it existed). */
  ocrEval?: OcrEvalResults;
}
