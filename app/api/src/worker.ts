// An inference worker thread (run by piscina, see pool/pool.ts). It loads every model once, warms each up,
// then serves requests: decode an encoded image with sharp and predict, run raw tensors, or report metadata.
// onnxruntime's run() occupies the calling thread, which is why this lives off the main thread.
import { performance } from 'node:perf_hooks';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { Tensor } from 'onnxruntime-node';
import sharp from 'sharp';
import type { FailedModel } from './contract.js';
import { firstLine, oneLine } from './errors.js';
import { flattenOnContrast } from './images/flatten.js';
import { decodePlainPng } from './images/png-decode.js';
import { explainLoadFailure } from './models/load-failure.js';
import type {
  ImageSize,
  InferResponse,
  InfoResponse,
  LoadWarning,
  PredictBatchResponse,
  PredictResponse,
  RunBounds,
  TensorData,
  WorkerData,
  WorkerFailure,
  WorkerRequest,
  WorkerStatus,
} from './pool/protocol.js';
import { findTask } from './tasks/index.js';
import type { Predictor, RgbImage, RunLimits } from './tasks/types.js';
import { osThreadId } from './thread-cpu.js';

const config = workerData as WorkerData;
// libvips' operation cache can never hit here (every request brings new bytes), and it keeps up to 50 MB of
// finished images alive per process: off, decoding is slightly faster and the memory is given back.
sharp.cache(false);
const predictors = new Map<string, Predictor>();
/** Models whose files failed to load: the others still serve. */
const failed = new Map<string, FailedModel>();
/** LoadContext.warn's messages, posted with the ready status. */
const warnings: LoadWarning[] = [];

/** A white strip with dark bars, so detection finds regions and recognition runs too during warm-up. */
function warmupImage(): RgbImage {
  const width = 320;
  const height = 48;
  const data = new Uint8Array(width * height * 3).fill(255);
  for (let y = 14; y < 34; y++) {
    for (let x = 16; x < width - 16; x++) {
      if (x % 12 < 6) data.fill(0, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return { data, width, height };
}

/** Loads and warms up every model; one that fails is set aside with its reason, unless none loads at all. */
async function loadAll(): Promise<void> {
  for (const model of config.models) {
    const task = findTask(model.task);
    if (!task) throw new Error(`model "${model.name}": unknown task "${model.task}"`);
    const manifest = task.manifestSchema.parse(model.raw);
    let predictor: Predictor;
    try {
      predictor = await task.load(manifest, {
        modelDir: model.dir,
        sessionOptions: config.sessionOptions,
        providers: config.providers,
        warn: (message) => warnings.push({ model: model.name, message }),
      });
    } catch (error) {
      failed.set(model.name, {
        name: model.name,
        task: model.task,
        status: 'failed',
        reason: explainLoadFailure(error),
      });
      continue;
    }
    try {
      await predictor.predict(warmupImage(), {});
    } catch (error) {
      await predictor.release().catch(() => undefined);
      const reason = `the warm-up prediction failed: ${oneLine(error)}. Check that the model's inputs and outputs match its task (see models/README.md)`;
      failed.set(model.name, { name: model.name, task: model.task, status: 'failed', reason });
      continue;
    }
    predictors.set(model.name, predictor);
  }
  if (predictors.size === 0 && failed.size > 0) {
    throw new Error([...failed.values()].map((f) => `model "${f.name}": ${f.reason}`).join('; '));
  }
}

const fail = (
  status: WorkerFailure['status'],
  code: WorkerFailure['code'],
  detail: string,
  field?: string,
): WorkerFailure => ({
  ok: false,
  status,
  code,
  detail,
  ...(field ? { field } : {}),
});

/** The image's bytes passed the header check but its pixels would not decode (a truncated or damaged file). */
const undecodable = (error: unknown) =>
  fail(400, 'invalid_image', `the image cannot be decoded: ${firstLine(error)}`, 'image');

function predictorFor(name: string): Predictor | WorkerFailure {
  if (loadError !== undefined) return fail(500, 'internal_error', `models failed to load: ${loadError}`);
  return predictors.get(name) ?? fail(404, 'model_not_found', `unknown model "${name}"`);
}

async function decode(
  bytes: ArrayBuffer,
  decodeSize: Predictor['decodeSize'],
  header: ImageSize | undefined,
): Promise<RgbImage> {
  // A plain PNG the task takes at its own size (OCR) is decoded here, without sharp (png-decode.ts).
  const png = decodeSize ? undefined : decodePlainPng(new Uint8Array(bytes), config.maxPixels);
  if (png) return png;
  // rotate() applies the EXIF orientation; transparent pixels go onto a contrasting background
  // (flattenOnContrast); the pixel limit is enforced again here in case a header lied.
  const pipeline = sharp(new Uint8Array(bytes), { limitInputPixels: config.maxPixels }).rotate();
  let source: RgbImage['source'];
  let crop: RgbImage['crop'];
  if (decodeSize) {
    // Decoded straight to the task's working size: JPEGs shrink on load, and no full-size copy is made. The
    // header was read on the main thread already, normally (inspectImage).
    const autoOrient = header ?? (await pipeline.metadata()).autoOrient;
    const size = decodeSize(autoOrient.width, autoOrient.height);
    if (size.width !== autoOrient.width || size.height !== autoOrient.height) {
      pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'linear' });
      source = autoOrient;
    }
    if (size.crop) {
      // After resize() in the chain, so sharp cuts the resized image.
      pipeline.extract(size.crop);
      source = autoOrient;
      crop = size.crop;
    }
  }
  const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const decoded = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (info.channels !== 3 && info.channels !== 4)
    throw new Error(`expected 3 or 4 channels after decoding, got ${info.channels}`);
  return {
    data: info.channels === 4 ? flattenOnContrast(decoded, info.width * info.height).rgb : decoded,
    width: info.width,
    height: info.height,
    ...(source ? { source: { width: source.width, height: source.height } } : {}),
    ...(crop ? { crop } : {}),
  };
}

/** The task's stop check for one request (see RunBounds). */
function limitsOf(bounds: RunBounds): RunLimits {
  const stop = new Int32Array(bounds.stop);
  return {
    shouldStop: () => Atomics.load(stop, 0) !== 0 || Date.now() >= bounds.stopAt,
    maxBoxes: config.maxBoxes,
  };
}

/** Answered for work stopped before it began; the main thread has already answered the client. */
const stopped = () => fail(503, 'deadline_exceeded', 'stopped before it began');

async function predict(request: Extract<WorkerRequest, { kind: 'predict' }>): Promise<PredictResponse> {
  const predictor = predictorFor(request.model);
  if ('ok' in predictor) return predictor;
  const limits = limitsOf(request.bounds);
  if (limits.shouldStop()) return stopped();
  const started = performance.now();
  let image: RgbImage;
  try {
    image = await decode(request.image, predictor.decodeSize, request.size);
  } catch (error) {
    return undecodable(error);
  }
  const decodeSeconds = (performance.now() - started) / 1000;
  if (limits.shouldStop()) return stopped();
  const result = await predictor.predict(image, request.options, limits);
  return { ok: true, result: { ...result, timings: { decode: decodeSeconds, ...result.timings } } };
}

/** Each image decoded on its own (a bad one fails alone), the good ones run through the network together. */
async function predictBatch(
  request: Extract<WorkerRequest, { kind: 'predictBatch' }>,
): Promise<PredictBatchResponse> {
  const predictor = predictorFor(request.model);
  if ('ok' in predictor) return predictor;
  if (!predictor.predictBatch) return fail(500, 'internal_error', `model "${request.model}" does not batch`);
  const started = performance.now();
  const decoded = await Promise.all(
    request.images.map((bytes, i) =>
      decode(bytes, predictor.decodeSize, request.sizes[i]).catch(undecodable),
    ),
  );
  const decodeSeconds = (performance.now() - started) / 1000;
  const good = decoded.flatMap((image, i) => ('ok' in image ? [] : [i]));
  const results = await predictor.predictBatch(
    good.map((i) => decoded[i] as RgbImage),
    good.map((i) => request.options[i] ?? {}),
  );
  const byIndex = new Map(good.map((i, k) => [i, results[k]]));
  return {
    ok: true,
    results: decoded.map((image, i): PredictResponse => {
      const outcome = byIndex.get(i);
      if (!outcome) return image as WorkerFailure;
      // the answer predict() gives alone: an error thrown by the task is a 500 (see handle)
      if (outcome.status === 'rejected') return fail(500, 'internal_error', oneLine(outcome.reason));
      const result = outcome.value;
      return { ok: true, result: { ...result, timings: { decode: decodeSeconds, ...result.timings } } };
    }),
  };
}

async function infer(request: Extract<WorkerRequest, { kind: 'infer' }>): Promise<InferResponse> {
  const predictor = predictorFor(request.model);
  if ('ok' in predictor) return predictor;
  if (!predictor.infer) {
    return fail(400, 'validation_error', `model "${request.model}" does not accept raw tensors`);
  }
  if (limitsOf(request.bounds).shouldStop()) return stopped();
  let feeds: Record<string, Tensor>;
  try {
    feeds = Object.fromEntries(
      Object.entries(request.inputs).map(([name, t]) => [
        name,
        // biome-ignore lint/suspicious/noExplicitAny: the type name and data are checked by the Tensor constructor.
        new Tensor(t.type as any, t.data as any, t.dims),
      ]),
    );
  } catch (error) {
    return fail(400, 'validation_error', `bad input tensor: ${firstLine(error)}`);
  }
  let outputs: Record<string, Tensor>;
  try {
    outputs = await predictor.infer(feeds);
  } catch (error) {
    // onnxruntime rejects unknown or missing inputs and wrong shapes here: the client's tensors are at fault.
    return fail(400, 'validation_error', `inference failed: ${oneLine(error)}`);
  }
  const plain: Record<string, TensorData> = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    plain[name] = { type: tensor.type, dims: [...tensor.dims], data: tensor.data as TensorData['data'] };
  }
  return { ok: true, outputs: plain };
}

function info(): InfoResponse {
  if (loadError !== undefined) return fail(500, 'internal_error', `models failed to load: ${loadError}`);
  return {
    ok: true,
    models: config.models.map((m) => predictors.get(m.name)?.info).filter((i) => i !== undefined),
  };
}

/** The piscina task handler. It never throws: failures come back as `{ok: false}` with a status. */
async function handle(
  request: WorkerRequest,
): Promise<PredictResponse | PredictBatchResponse | InferResponse | InfoResponse> {
  try {
    switch (request.kind) {
      case 'predict':
        return await predict(request);
      case 'predictBatch':
        return await predictBatch(request);
      case 'infer':
        return await infer(request);
      case 'info':
        return info();
    }
  } catch (error) {
    return fail(500, 'internal_error', oneLine(error));
  }
}

let loadError: string | undefined;

// piscina awaits a promised default export before it hands this worker any task, so requests never see a
// half-loaded worker. (Top-level await would do the same, but tsx cannot load such a worker from source.)
export default loadAll().then(
  () => {
    parentPort?.postMessage({
      type: 'modelship:worker-ready',
      threadId,
      osThreadId: osThreadId(),
      failed: [...failed.values()],
      warnings,
    } satisfies WorkerStatus);
    return handle;
  },
  (error: unknown) => {
    loadError = (error as Error)?.message ?? String(error);
    parentPort?.postMessage({
      type: 'modelship:worker-failed',
      threadId,
      error: loadError,
    } satisfies WorkerStatus);
    return handle;
  },
);
