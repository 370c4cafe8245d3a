// The `ocr` task: PaddleOCR-style text detection (DB) + recognition (CTC) on onnxruntime-node.
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { resolveFileRef } from '../../models/manifest-base.js';
import { tensorSpecs } from '../onnx-image-model.js';
import { SpareBuffer } from '../spare-buffer.js';
import type {
  Detection,
  LoadContext,
  ModelInfo,
  Predictor,
  RgbImage,
  RunLimits,
  TaskDefinition,
  TensorSpec,
  TruncatedReason,
} from '../types.js';
import { extendQuad, isTall, quadSize } from './crop.js';
import { parseDictionary, spaceClass } from './ctc.js';
import { type CtcTopOutputs, openCtcSession } from './ctc-graph.js';
import { boxesFromProbabilityMap } from './db-postprocess.js';
import { foldFullWidth } from './full-width.js';
import type { Point, Quad } from './geometry.js';
import { groupLines } from './lines.js';
import { type OcrManifest, ocrManifest } from './manifest.js';
import { detectionInputSize, resizeNormalized } from './preprocess.js';
import { type Recognizer, recognizeBoxes } from './recognize.js';

export { type OcrManifest, ocrManifest } from './manifest.js';

export const ocrTask: TaskDefinition<OcrManifest> = {
  task: 'ocr',
  manifestSchema: ocrManifest,
  load: loadOcr,
};

async function loadOcr(manifest: OcrManifest, context: LoadContext): Promise<Predictor> {
  const path = (ref: OcrManifest['files'][keyof OcrManifest['files']]) =>
    resolveFileRef(ref, context.modelDir);
  const labels = parseDictionary(
    await readFile(path(manifest.files.dictionary), 'utf8'),
    manifest.recognition.spaceChar,
  );
  const detector = await InferenceSession.create(path(manifest.files.detection), context.sessionOptions);
  const space = spaceClass(labels);
  const rec = await openCtcSession(
    path(manifest.files.recognition),
    { count: labels.length, space: space < 0 ? undefined : space },
    context.sessionOptions,
  ).catch(async (error: unknown) => {
    await detector.release();
    throw error;
  });
  const recSession = rec.session;
  if (rec.fallback !== undefined)
    context.warn?.(
      `the recogniser returns its full class probabilities to JavaScript (${rec.fallback}), which costs more per request`,
    );
  try {
    checkClassCount(recSession, labels.length);
  } catch (error) {
    await Promise.all([detector.release(), recSession.release()]);
    throw error;
  }
  const info: ModelInfo = {
    name: manifest.name,
    task: 'ocr',
    version: manifest.version,
    ...(manifest.description === undefined ? {} : { description: manifest.description }),
    inputs: [
      ...stageSpecs(detector.inputMetadata, 'detection'),
      ...stageSpecs(recSession.inputMetadata, 'recognition'),
    ],
    outputs: [
      ...stageSpecs(detector.outputMetadata, 'detection'),
      ...stageSpecs(modelOutputs(recSession, rec.top), 'recognition'),
    ],
    labels: ['text'],
    provider: context.providers[0] ?? 'cpu',
  };

  const recognizer: Recognizer = {
    session: recSession,
    settings: manifest.recognition,
    order: manifest.channelOrder,
    labels,
    batchSize: info.provider === 'cpu' ? manifest.recognition.cpuBatchSize : manifest.recognition.batchSize,
    ...(rec.top ? { top: rec.top } : {}),
    input: new SpareBuffer(),
  };

  const detectorInput = new SpareBuffer();
  async function predict(image: RgbImage, options: { confidence?: number }, limits?: RunLimits) {
    const minConfidence = options.confidence ?? manifest.confidence;
    const det = manifest.detection;
    let t = performance.now();
    const lap = () => {
      const now = performance.now();
      const seconds = (now - t) / 1000;
      t = now;
      return seconds;
    };

    const size = detectionInputSize(image.width, image.height, det.maxSide);
    const length = 3 * size.width * size.height;
    const input = detectorInput.take(length);
    resizeNormalized(image, size.width, size.height, det.normalization, manifest.channelOrder, input);
    const preprocess = lap();

    const detOut = await detector
      .run({
        [detector.inputNames[0] as string]: new Tensor('float32', input, [1, 3, size.height, size.width]),
      })
      .finally(() => detectorInput.give(input));
    const probMap = detOut[detector.outputNames[0] as string] as Tensor;
    const detection = lap();

    const found = groupLines(
      boxesFromProbabilityMap(
        { data: probMap.data as Float32Array, width: size.width, height: size.height },
        image.width,
        image.height,
        det,
      ),
      manifest.lines,
    ).map((line) => {
      const lengthened = extendQuad(line.quad, manifest.lines.endMargin, isTall(quadSize(line.quad)));
      return { ...line, quad: clampQuad(lengthened, image.width, image.height) };
    });
    probMap.dispose();
    // Recognition costs one model run per box: the server caps the boxes (first ones in reading order) and
    // the time (between crops), and says so in the result instead of silently dropping lines.
    const maxBoxes = limits?.maxBoxes ?? Number.POSITIVE_INFINITY;
    const boxes = found.length > maxBoxes ? found.slice(0, maxBoxes) : found;
    let truncated: TruncatedReason | undefined = boxes.length < found.length ? 'max_boxes' : undefined;
    let postprocess = lap();

    const shouldStop = () => limits?.shouldStop() ?? false;
    const texts = await recognizeBoxes(recognizer, image, boxes, shouldStop);
    const recognition = lap();

    const detections: Detection[] = [];
    boxes.forEach((box, i) => {
      const read = texts[i];
      if (read === undefined) {
        truncated = 'deadline';
        return;
      }
      const { confidence } = read;
      const text = foldFullWidth(read.text);
      if (text === '' || confidence < minConfidence) return;
      const xs = box.quad.map((p) => p[0]);
      const ys = box.quad.map((p) => p[1]);
      const words = box.words.length > 1 ? { words: box.words.map(toPolygon) } : {};
      detections.push({
        x_min: Math.min(...xs),
        y_min: Math.min(...ys),
        x_max: Math.max(...xs),
        y_max: Math.max(...ys),
        class_name: 'text',
        confidence,
        text,
        polygon: toPolygon(box.quad),
        ...words,
      });
    });
    postprocess += lap();
    return {
      detections,
      timings: { preprocess, detection, recognition, postprocess },
      ...(truncated ? { truncated } : {}),
    };
  }

  return {
    info,
    predict,
    async release() {
      await Promise.all([detector.release(), recSession.release()]);
    },
  };
}

const toPolygon = (quad: Quad): [number, number][] => quad.map((p): [number, number] => [p[0], p[1]]);

/** Integer corners inside the image (a lengthened or merged line can reach past the border). */
const clampQuad = (quad: Quad, width: number, height: number): Quad =>
  quad.map(
    (p): Point => [
      Math.min(Math.max(Math.round(p[0]), 0), width - 1),
      Math.min(Math.max(Math.round(p[1]), 0), height - 1),
    ],
  ) as Quad;

/** The outputs of the recogniser's file: without the ones appended at load (ctc-graph.ts). */
function modelOutputs(session: InferenceSession, top: CtcTopOutputs | undefined) {
  const appended = new Set(top ? Object.values(top) : []);
  return session.outputMetadata.filter((meta) => !appended.has(meta.name));
}

function checkClassCount(session: InferenceSession, labelCount: number): void {
  const meta = session.outputMetadata[0];
  const classes = meta?.isTensor ? meta.shape.at(-1) : undefined;
  if (typeof classes === 'number' && classes !== labelCount) {
    throw new Error(
      `recognition model has ${classes} classes but the dictionary gives ${labelCount} (blank + lines` +
        ' + space): check files.dictionary and recognition.spaceChar',
    );
  }
}

/** A session's tensors in Open Inference Protocol terms, names prefixed by stage ("detection/x"). */
function stageSpecs(metadata: readonly InferenceSession.ValueMetadata[], stage: string): TensorSpec[] {
  return tensorSpecs(metadata).map((spec) => ({ ...spec, name: `${stage}/${spec.name}` }));
}
