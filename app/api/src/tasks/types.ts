// The contract between the server (routes, worker pool) and the model tasks (ocr, detect, classify).
// A task turns a validated manifest into a Predictor; the worker pool owns Predictors, one set per worker.
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { z } from 'zod';

/** Decoded pixels, RGB, 8 bits per channel, row-major (what sharp's `.raw()` returns). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** The hands-on's detection shape, kept for its clients; OCR adds `text` and `polygon`. */
export interface Detection {
  x_min: number;
  y_min: number;
  x_max: number;
  y_max: number;
  class_name: string;
  confidence: number;
  class_id?: number;
  text?: string;
  /** 4 points, clockwise from top-left, original-image pixels. */
  polygon?: [number, number][];
  /** OCR: the detector's word boxes that make up this line (4 points each), when it holds more than one. */
  words?: [number, number][][];
}

export interface RankedClass {
  class_id: number;
  class_name: string;
  confidence: number;
}

export interface PredictOptions {
  /** Minimum confidence, 0..1; the manifest's default when unset. */
  confidence?: number;
  /** IoU threshold for NMS (detect). */
  iou?: number;
  /** How many classes to return (classify). */
  topK?: number;
}

/** Seconds spent per stage: decode, preprocess, detection, recognition, inference, postprocess. */
export type StageTimings = Partial<Record<Stage, number>>;
export type Stage = 'decode' | 'preprocess' | 'detection' | 'recognition' | 'inference' | 'postprocess';

export interface PredictResult {
  detections: Detection[];
  classes?: RankedClass[];
  timings: StageTimings;
}

/** Tensor metadata as the Open Inference Protocol (v2) reports it. */
export interface TensorSpec {
  name: string;
  datatype: string;
  shape: number[];
}

/** Metadata for /v1/models/{name} and /v2/models/{name}. */
export interface ModelInfo {
  name: string;
  task: string;
  version: string;
  description?: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  labels?: string[];
  /** Execution provider actually in use, e.g. 'cpu' or 'cuda'. */
  provider: string;
  /**
   * True when `inputs`/`outputs` are the network's own tensors and the predictor has `infer`: v2 clients
   * send those tensors. Otherwise (pipelines such as OCR) v2 clients send one BYTES image instead.
   */
  rawTensors?: boolean;
}

export interface Predictor {
  readonly info: ModelInfo;
  predict(image: RgbImage, options: PredictOptions): Promise<PredictResult>;
  /** Raw tensors in, raw tensors out: the v2 protocol for plain ONNX models. */
  infer?(inputs: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

export interface LoadContext {
  /** Absolute path of the model's folder (models/<name>), for relative file refs. */
  modelDir: string;
  /** Session options chosen by the server: execution providers, threads, graph optimisation. */
  sessionOptions: InferenceSession.SessionOptions;
  /** Provider names requested, in order of preference, e.g. ['cuda', 'cpu']. */
  providers: string[];
}

export interface TaskDefinition<M extends { name: string; task: string } = { name: string; task: string }> {
  task: string;
  /** Validates the whole model.json for this task (base fields included). */
  manifestSchema: z.ZodType<M>;
  load(manifest: M, context: LoadContext): Promise<Predictor>;
}
