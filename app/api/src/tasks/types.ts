// The contract between the server (routes, worker pool) and the model tasks (ocr, detect, classify).
// A task turns a validated manifest into a Predictor; the worker pool owns Predictors, one set per worker.
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { z } from 'zod';
import type { Detection, ModelInfo, TruncatedReason } from '../contract.js';
import type { Region } from '../images/chw.js';
import type { DetectionColumns } from './detection-columns.js';

// The public shapes are the contract's; tasks and the pool use them under these names too.
export type { Detection, ModelInfo, RankedClass, TensorSpec, TruncatedReason } from '../contract.js';

/** Decoded pixels, RGB, 8 bits per channel, row-major (what sharp's `.raw()` returns). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  /**
   * The image's size as sent (after EXIF orientation) when it was decoded straight to a smaller working size
   * (see Predictor.decodeSize): results map back to this size. Unset when the pixels are the full image.
   */
  source?: { width: number; height: number };
  /**
   * Set when the worker also cut the task's crop (DecodeSize.crop) out of the resized image: the pixels are that
   * region only.
   */
  crop?: Region;
}

/** What an image is decoded to (see Predictor.decodeSize). */
export interface DecodeSize {
  width: number;
  height: number;
  /**
   * The only part of the resized image the task reads (classify's centre crop): the worker keeps just that, and
   * libvips computes the resize for those pixels alone (the same values as resizing everything).
   */
  crop?: Region;
}

/** The size results refer to: the image as sent. */
export function sourceSize(image: RgbImage): { width: number; height: number } {
  return image.source ?? { width: image.width, height: image.height };
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
  /** OCR's detections. Detect and classify leave this empty and answer `columns` (see namedDetections()). */
  detections: Detection[];
  columns?: DetectionColumns;
  timings: StageTimings;
  /** Set when the work was cut short: the detections cover part of the image only. */
  truncated?: TruncatedReason;
}

/** The bounds on one prediction's work, set by the server per request (REQUEST_TIMEOUT, OCR_MAX_BOXES). */
export interface RunLimits {
  /** True once the client left, the deadline is near or the server stops: return what is done, truncated. */
  shouldStop(): boolean;
  /** OCR: most text boxes recognised per image, in reading order; the rest are left out, truncated. */
  maxBoxes: number;
}

export interface Predictor {
  readonly info: ModelInfo;
  /**
   * The size an image of `width` × `height` (after EXIF orientation) is resized to before the network, when the
   * task resizes it anyway: the worker then decodes straight to that size (sharp shrinks JPEGs on load, with a
   * bilinear kernel) instead of decoding the full image and resizing it again.
   */
  decodeSize?(width: number, height: number): DecodeSize;
  predict(image: RgbImage, options: PredictOptions, limits?: RunLimits): Promise<PredictResult>;
  /**
   * Several images in one network run; the same outcome as predict() on each: an image whose own output is bad
   * (a non-finite or out-of-range score) is rejected alone, the others answered. Present with `info.batching`.
   */
  predictBatch?(
    images: RgbImage[],
    options: PredictOptions[],
  ): Promise<PromiseSettledResult<PredictResult>[]>;
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
  /** Something the server log should say about the model while it still loads (once, not per worker). */
  warn?: (message: string) => void;
}

export interface TaskDefinition<M extends { name: string; task: string } = { name: string; task: string }> {
  task: string;
  /** Validates the whole model.json for this task (base fields included). */
  manifestSchema: z.ZodType<M>;
  load(manifest: M, context: LoadContext): Promise<Predictor>;
}
