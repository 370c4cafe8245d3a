// Messages between the main thread and the inference workers (worker.ts). Everything here crosses a
// thread boundary by structured clone, so it is plain data: no classes, no functions.
import type { InferenceSession } from 'onnxruntime-node';
import type { ErrorCode, FailedModel } from '../contract.js';
import type { ModelInfo, PredictOptions, PredictResult } from '../tasks/types.js';

export interface WorkerModel {
  name: string;
  task: string;
  dir: string;
  /** model.json as parsed JSON; the worker validates it with its task's schema. */
  raw: unknown;
}

export interface WorkerData {
  models: WorkerModel[];
  sessionOptions: InferenceSession.SessionOptions;
  /** Providers that loaded on this machine, in order of preference (the first is reported in ModelInfo). */
  providers: string[];
  maxPixels: number;
  /** OCR: most text boxes recognised per image (OCR_MAX_BOXES). */
  maxBoxes: number;
}

/**
 * How one task may be stopped early. `stop` is an Int32Array's SharedArrayBuffer, shared (not copied) with
 * the worker: the main thread stores 1 when the client left, the deadline passed or the server stops, and
 * the worker checks it between stages and between OCR crops. A task still queued when it is stopped is
 * dropped by the worker at once. (piscina's own abort would terminate a running worker, and terminating a
 * thread inside onnxruntime aborts the whole process.)
 */
export interface RunBounds {
  stop: SharedArrayBuffer;
  /** Date.now() after which the worker wraps up and returns what it has, marked truncated. */
  stopAt: number;
}

/** A tensor as plain data; `type` is an onnxruntime type name ('float32', 'int64', ...). */
export interface TensorData {
  type: string;
  dims: number[];
  data: ArrayLike<number | bigint | string | boolean>;
}

/** An encoded image's size after EXIF orientation, read from its header on the main thread (inspectImage). */
export interface ImageSize {
  width: number;
  height: number;
}

export type WorkerRequest =
  | {
      kind: 'predict';
      model: string;
      image: ArrayBuffer;
      /** When known, the worker sizes its decode from it instead of parsing the header again. */
      size?: ImageSize;
      options: PredictOptions;
      bounds: RunBounds;
    }
  /** Requests gathered by the dynamic batcher: one network run, one answer per image, in order. */
  | {
      kind: 'predictBatch';
      model: string;
      images: ArrayBuffer[];
      sizes: (ImageSize | undefined)[];
      options: PredictOptions[];
    }
  | { kind: 'infer'; model: string; inputs: Record<string, TensorData>; bounds: RunBounds }
  | { kind: 'info' };

export interface WorkerFailure {
  ok: false;
  status: 400 | 404 | 413 | 422 | 500 | 503;
  code: ErrorCode;
  detail: string;
  /** The request field at fault, when there is one (the image that would not decode). */
  field?: string;
}

export type PredictResponse = { ok: true; result: PredictResult } | WorkerFailure;
export type PredictBatchResponse = { ok: true; results: PredictResponse[] } | WorkerFailure;
export type InferResponse = { ok: true; outputs: Record<string, TensorData> } | WorkerFailure;
export type InfoResponse = { ok: true; models: ModelInfo[] } | WorkerFailure;

export interface LoadWarning {
  model: string;
  message: string;
}

/** Posted by a worker once, after loading and warming up every model (or failing to). */
export type WorkerStatus =
  | {
      type: 'modelship:worker-ready';
      threadId: number;
      /** The OS thread id (Linux), by which /proc counts this worker's CPU time (thread-cpu.ts). */
      osThreadId?: number;
      failed: FailedModel[];
      /** What loading the models had to say (LoadContext.warn). */
      warnings: LoadWarning[];
    }
  | { type: 'modelship:worker-failed'; threadId: number; error: string };
