// Plumbing shared by the tasks that wrap one ONNX network fed with one image (detect, classify):
// opening the session, describing its tensors the v2 way, raw-tensor inference, labels and pixel layout.
import { readFile, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { z } from 'zod';
import { type Batching, type FileRef, fileRef, resolveFileRef } from '../models/manifest-base.js';
import type { BatchPolicy } from '../pool/dynamic-batcher.js';
import { v2Datatype } from '../v2/datatypes.js';
import { SpareBuffer } from './spare-buffer.js';
import type {
  DecodeSize,
  LoadContext,
  PredictOptions,
  Predictor,
  PredictResult,
  RgbImage,
  TensorSpec,
} from './types.js';

/** Session inputs or outputs as v2 tensor metadata; symbolic dimensions (e.g. 'batch') become -1. */
export function tensorSpecs(metadata: readonly InferenceSession.ValueMetadata[]): TensorSpec[] {
  return metadata.map((m) => ({
    name: m.name,
    datatype: m.isTensor ? v2Datatype(m.type) : 'BYTES',
    shape: m.isTensor ? m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) : [-1],
  }));
}

export interface OpenedModel {
  session: InferenceSession;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** The execution provider the server chose for every session. */
  provider: string;
}

export async function openModel(ref: FileRef, context: LoadContext): Promise<OpenedModel> {
  const path = resolveFileRef(ref, context.modelDir);
  // onnxruntime's error for a folder ("model": ".") names no path: fail with one explainLoadFailure can use.
  if ((await stat(path)).isDirectory()) {
    throw Object.assign(new Error(`EISDIR: ${path} is a directory`), { code: 'EISDIR', path });
  }
  const session = await InferenceSession.create(path, context.sessionOptions);
  return {
    session,
    inputs: tensorSpecs(session.inputMetadata),
    outputs: tensorSpecs(session.outputMetadata),
    provider: context.providers[0] ?? 'cpu',
  };
}

/** Manifest `labels`: inline class names, or a file with one name per line (line k is class k). */
export const labelsSource = z.union([z.array(z.string().min(1)).min(1), fileRef]);

/** Class names from the manifest: inline, or a text file with one name per line. */
export async function loadLabels(source: string[] | FileRef, modelDir: string): Promise<string[]> {
  if (Array.isArray(source)) return source;
  const text = await readFile(resolveFileRef(source, modelDir), 'utf8');
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new Error(`labels file ${JSON.stringify(source)} is empty`);
  return lines;
}

export function labelOf(labels: readonly string[], classId: number): string {
  return labels[classId] ?? `class_${classId}`;
}

export type { ChannelNormalization } from '../images/chw.js';

/** Runs a task's checks on a freshly opened model; the session is released if one fails. */
export async function checked<T>(model: OpenedModel, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    await model.session.release();
    throw error;
  }
}

export interface ImageIo {
  input: TensorSpec;
  output: TensorSpec;
  /** Set when requests are batched (see batchPolicy). */
  batching?: BatchPolicy;
  /** The network's input size: the manifest's, else the model's fixed one, else the task's default. */
  width: number;
  height: number;
}

/** The one FP32 NCHW image input and the FP32 output an image task runs, with the input size. */
export function imageIo(
  model: OpenedModel,
  task: string,
  inputSize: [number, number] | undefined,
  fallback: [number, number],
): ImageIo {
  const [input] = model.inputs;
  const [output] = model.outputs;
  if (model.inputs.length !== 1 || input?.datatype !== 'FP32' || output?.datatype !== 'FP32') {
    throw new Error(
      `a ${task} model needs one FP32 image input and an FP32 output (float16 exports are not supported); ` +
        `this one has inputs ${JSON.stringify(model.inputs)} and outputs ${JSON.stringify(model.outputs)}`,
    );
  }
  checkChannelsFirst(input, task);
  const fixed = fixedImageSize(input);
  const [width, height] = inputSize ?? fixed ?? fallback;
  if (fixed && (fixed[0] !== width || fixed[1] !== height)) {
    throw new Error(`inputSize [${width}, ${height}] does not match the model's fixed input [${fixed}]`);
  }
  return { input, output, width, height };
}

/**
 * Refuses an input that is not [batch, 3, height, width]: TensorFlow/Keras exports are channels-last
 * [batch, H, W, 3], which onnxruntime would only reject at the first run with a dimension dump (or a resize to 0).
 */
function checkChannelsFirst(input: TensorSpec, task: string): void {
  const { shape } = input;
  if (shape.length === 4 && (shape[1] === 3 || shape[1] === -1)) return;
  const shown = `[${shape.map((d) => (d === -1 ? '?' : d))}]`;
  const nhwc = shape.length === 4 && shape[3] === 3;
  throw new Error(
    `input "${input.name}" has shape ${shown}${nhwc ? ' (channels last, NHWC: a TensorFlow/Keras export)' : ''}; ` +
      `a ${task} model needs an NCHW image input [batch, 3, height, width]. ` +
      (nhwc
        ? `Re-export it channels first (tf2onnx: --inputs-as-nchw ${input.name}; PyTorch exports are NCHW already)`
        : 'Export the model with a batch axis and 3 colour channels first'),
  );
}

/** Reads the fixed [width, height] of an NCHW image input, or undefined when dynamic. */
function fixedImageSize(spec: TensorSpec): [number, number] | undefined {
  const [, , height = -1, width = -1] = spec.shape;
  return spec.shape.length === 4 && width > 0 && height > 0 ? [width, height] : undefined;
}

/**
 * Whether and how requests are batched: as the manifest says, else on with a GPU provider when the model's
 * batch dimension is dynamic. Asking for batching on a model with a fixed batch of 1 is an error.
 */
export function batchPolicy(
  batching: Batching,
  input: TensorSpec,
  provider: string,
): BatchPolicy | undefined {
  const dynamic = input.shape[0] === -1;
  const enabled = batching.enabled ?? (provider !== 'cpu' && dynamic);
  if (!enabled || batching.maxBatchSize < 2) return undefined;
  if (!dynamic) {
    throw new Error(
      `batching needs a dynamic batch dimension, but input "${input.name}" has shape [${input.shape}]: ` +
        'export the model with a dynamic batch (ultralytics: dynamic=True), or set "batching": {"enabled": false}',
    );
  }
  return { maxBatchSize: batching.maxBatchSize, maxBatchDelayMs: batching.maxBatchDelayMs };
}

/** Refuses labels that do not match the model's class count, when the model states it. */
export function checkClassCount(
  classes: number | undefined,
  labels: readonly string[],
  source: string,
): void {
  if (classes !== undefined && classes < 1) {
    throw new Error(`the model's output shape leaves ${classes} classes: check "layout" in model.json`);
  }
  if (classes !== undefined && classes !== labels.length) {
    throw new Error(
      `the model predicts ${classes} classes but ${source} has ${labels.length} names: ` +
        'list the class names, in class-id order, in "labels"',
    );
  }
}

/** One image's slice of an output tensor: its batch dimension is 1. */
export interface OutputTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** What one image task does around the network run; `prepared` carries what postprocessing needs back. */
export interface ImageStages<P> {
  /** See Predictor.decodeSize. */
  decodeSize?(width: number, height: number): DecodeSize;
  /**
   * Writes the image into `pixels`, its [3, height, width] slice of the input tensor (normalised CHW floats),
   * and returns any geometry to undo later. Every value must be set: the buffer is reused between runs (what this
   * stage wrote into the same slice last time may be left in place, as the letterbox does with its padding).
   */
  preprocess(image: RgbImage, options: PredictOptions, pixels: Float32Array): Promise<P>;
  postprocess(
    output: OutputTensor,
    prepared: P,
    image: RgbImage,
    options: PredictOptions,
  ): Omit<PredictResult, 'timings'>;
}

/**
 * The Predictor of a one-network image task: its info, a timed preprocess → run → postprocess pass over one
 * image or a batch of them (stacked into one tensor), raw-tensor inference for v2, and release.
 */
export function imagePredictor<P>(
  manifest: { name: string; task: string; version: string; description?: string },
  model: OpenedModel,
  io: ImageIo,
  labels: string[] | undefined,
  stages: ImageStages<P>,
): Predictor {
  const { session } = model;
  const { input, output, width, height } = io;
  const itemSize = 3 * width * height;
  // The input buffer of the last run, reused; a run that finds it taken or too small allocates its own.
  const inputBuffer = new SpareBuffer();

  /** Every image preprocessed into its slice of one tensor, one session run, each slice postprocessed. */
  async function run(
    images: readonly RgbImage[],
    options: readonly PredictOptions[],
  ): Promise<PromiseSettledResult<PredictResult>[]> {
    const n = images.length;
    const t0 = performance.now();
    const pixels = inputBuffer.take(n * itemSize);
    const prepared = await Promise.all(
      images.map((image, i) =>
        stages.preprocess(image, options[i] ?? {}, pixels.subarray(i * itemSize, (i + 1) * itemSize)),
      ),
    );
    const t1 = performance.now();
    const results = await session
      .run({ [input.name]: new Tensor('float32', pixels, [n, 3, height, width]) })
      .finally(() => inputBuffer.give(pixels));
    const t2 = performance.now();
    const raw = results[output.name] as Tensor;
    const data = raw.data as Float32Array;
    const per = data.length / n;
    // A batch of one keeps the model's own dims (some classifiers drop the batch axis).
    const dims = n === 1 ? raw.dims : [1, ...raw.dims.slice(1)];
    // Each image's output is checked on its own (classify throws on a meaningless score): one bad output
    // fails its own request, not the batch it was stacked into.
    const outputs = images.map((image, i) => {
      try {
        const result = stages.postprocess(
          { data: data.subarray(i * per, (i + 1) * per), dims },
          prepared[i] as P,
          image,
          options[i] ?? {},
        );
        return { status: 'fulfilled' as const, value: result };
      } catch (reason) {
        return { status: 'rejected' as const, reason };
      }
    });
    const t3 = performance.now();
    // Each request waited for the whole batch's stages, so each reports them.
    const timings = {
      preprocess: (t1 - t0) / 1000,
      inference: (t2 - t1) / 1000,
      postprocess: (t3 - t2) / 1000,
    };
    return outputs.map((o) => (o.status === 'fulfilled' ? { ...o, value: { ...o.value, timings } } : o));
  }

  return {
    info: {
      name: manifest.name,
      task: manifest.task,
      version: manifest.version,
      description: manifest.description,
      inputs: model.inputs,
      outputs: model.outputs,
      labels,
      provider: model.provider,
      rawTensors: true,
      ...(io.batching ? { batching: io.batching } : {}),
    },
    ...(stages.decodeSize ? { decodeSize: stages.decodeSize } : {}),
    async predict(image, options) {
      const [outcome] = await run([image], [options]);
      if (outcome?.status !== 'fulfilled') throw outcome?.reason;
      return outcome.value;
    },
    ...(io.batching ? { predictBatch: run } : {}),
    // The v2 protocol's path for ONNX models: tensors straight into the session, every output back.
    infer: (inputs) => session.run(inputs),
    release: () => session.release(),
  };
}
