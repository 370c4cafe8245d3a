// Plumbing shared by the tasks that wrap one ONNX network fed with one image (detect, classify):
// opening the session, describing its tensors the v2 way, raw-tensor inference, labels and pixel layout.
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { z } from 'zod';
import { type FileRef, fileRef, resolveFileRef } from '../models/manifest-base.js';
import { v2Datatype } from '../v2/datatypes.js';
import { writeNormalized } from './ocr/preprocess.js';
import type { LoadContext, PredictOptions, Predictor, PredictResult, RgbImage, TensorSpec } from './types.js';

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

export interface ChannelNormalization {
  scale: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** Interleaved RGB bytes (HWC) to planar float32 (CHW): (pixel × scale − mean) / std per channel. */
export function toChwFloat(image: RgbImage, norm: ChannelNormalization): Float32Array {
  const out = new Float32Array(3 * image.width * image.height);
  writeNormalized(image, norm, 'rgb', out);
  return out;
}

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
  const fixed = fixedImageSize(input);
  const [width, height] = inputSize ?? fixed ?? fallback;
  if (fixed && (fixed[0] !== width || fixed[1] !== height)) {
    throw new Error(`inputSize [${width}, ${height}] does not match the model's fixed input [${fixed}]`);
  }
  return { input, output, width, height };
}

/** Reads the fixed [width, height] of an NCHW image input, or undefined when dynamic. */
function fixedImageSize(spec: TensorSpec): [number, number] | undefined {
  const [, , height = -1, width = -1] = spec.shape;
  return spec.shape.length === 4 && width > 0 && height > 0 ? [width, height] : undefined;
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

/** What one image task does around the network run; `prepared` carries what postprocessing needs back. */
export interface ImageStages<P extends { pixels: Float32Array }> {
  /** The image as planar float32 pixels of the network's input size, plus any geometry to undo later. */
  preprocess(image: RgbImage, options: PredictOptions): Promise<P>;
  postprocess(
    output: Tensor,
    prepared: P,
    image: RgbImage,
    options: PredictOptions,
  ): Omit<PredictResult, 'timings'>;
}

/**
 * The Predictor of a one-network image task: its info, a timed preprocess → run → postprocess pass,
 * raw-tensor inference for v2, and release.
 */
export function imagePredictor<P extends { pixels: Float32Array }>(
  manifest: { name: string; task: string; version: string; description?: string },
  model: OpenedModel,
  io: ImageIo,
  labels: string[] | undefined,
  stages: ImageStages<P>,
): Predictor {
  const { session } = model;
  const { input, output, width, height } = io;
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
    },
    async predict(image, options) {
      const t0 = performance.now();
      const prepared = await stages.preprocess(image, options);
      const t1 = performance.now();
      const results = await session.run({
        [input.name]: new Tensor('float32', prepared.pixels, [1, 3, height, width]),
      });
      const t2 = performance.now();
      const result = stages.postprocess(results[output.name] as Tensor, prepared, image, options);
      const t3 = performance.now();
      return {
        ...result,
        timings: {
          preprocess: (t1 - t0) / 1000,
          inference: (t2 - t1) / 1000,
          postprocess: (t3 - t2) / 1000,
        },
      };
    },
    // The v2 protocol's path for ONNX models: tensors straight into the session, every output back.
    infer: (inputs) => session.run(inputs),
    release: () => session.release(),
  };
}
