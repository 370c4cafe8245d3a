// The API's data plane (after KServe's DataPlane): the one place that decides, for every protocol (/predict,
// /v1, /v2), which model a name means, whether requests are served (warming up, ready, draining), and how
// long one may run. Routes are thin adapters: they parse their protocol, call this, and format the answer.
import { performance } from 'node:perf_hooks';
import type { Config } from './config.js';
import type { FailedModel } from './contract.js';
import { ApiError, notReady } from './errors.js';
import { inspectImage } from './images/format.js';
import type { Metrics } from './metrics.js';
import { MODEL_NAME } from './models/manifest-base.js';
import type { InferencePool, RunOptions } from './pool/pool.js';
import type { TensorData } from './pool/protocol.js';
import { namedDetections } from './tasks/detection-columns.js';
import type { Detection, ModelInfo, PredictOptions, PredictResult, RankedClass } from './tasks/types.js';

export interface PredictBody {
  model: string;
  time: number;
  detections: Detection[];
  classes?: RankedClass[];
  timings: PredictResult['timings'];
  /** Present when the work was cut short (OCR box cap, or the deadline): the detections are partial. */
  truncated?: true;
  truncated_reason?: PredictResult['truncated'];
}

/** The metric label and log field for a name that is no served model: client text never becomes a label. */
export const UNKNOWN_MODEL = 'unknown';

/** A client that went away: nobody reads the answer, and it is no fault (logged at info, status 499). */
export class ClientGone extends Error {
  override name = 'ClientGone';
}

export const deadlineExceeded = (seconds: number) =>
  new ApiError(
    504,
    'deadline_exceeded',
    `the request took longer than the ${seconds} s limit (REQUEST_TIMEOUT)`,
    {
      retryAfter: 1,
    },
  );

export interface DataPlaneOptions {
  pool: InferencePool;
  config: Pick<Config, 'maxPixels' | 'maxSide' | 'requestTimeout'>;
  /** Model names from the manifests: known before the models are loaded. */
  modelNames: string[];
  metrics: Metrics;
}

export class DataPlane {
  private draining = false;
  private readonly names: ReadonlySet<string>;

  constructor(private readonly options: DataPlaneOptions) {
    this.names = new Set(options.modelNames);
  }

  get modelNames(): string[] {
    return this.options.modelNames;
  }

  /** Ready for new traffic (/ready, /v2/health/ready): warmed up, and not draining. */
  get isReady(): boolean {
    return this.options.pool.isAccepting && !this.draining;
  }

  /** SIGTERM: report not ready, so balancers stop sending, but keep serving what still arrives; the HTTP
   * server closes each connection after its response (http-server.ts). */
  drain(): void {
    this.draining = true;
  }

  /** A served model's readiness (v2's model ready): the server is ready and the model's files loaded. */
  isModelReady(name: string): boolean {
    return this.isReady && !this.options.pool.failed.some((m) => m.name === name);
  }

  /** `name` as a metric label or log field: a served model's name, or `unknown`. */
  label(name: string): string {
    return this.names.has(name) ? name : UNKNOWN_MODEL;
  }

  /** Metadata of every model; 503 until they are loaded. */
  models(): ModelInfo[] {
    if (!this.options.pool.isAccepting) throw notReady();
    return this.options.pool.models;
  }

  /** Names of the models that serve (/v1/models' `status: "ready"`), in their order; 503 until loaded. */
  servedNames(): string[] {
    return this.models().map((m) => m.name);
  }

  /**
   * The model a client named, for serving. Unknown names are a 404 whatever the state, so clients learn of
   * a typo at once; known ones are a 503 while loading. During the drain requests are still served.
   */
  model(name: string, field: string, version?: string): ModelInfo {
    if (!this.names.has(name)) throw this.unknown(name, field);
    const info = this.models().find((m) => m.name === name);
    if (!info) throw this.failedModel(name, field) ?? this.unknown(name, field);
    if (version !== undefined && version !== info.version) {
      throw new ApiError(
        404,
        'model_not_found',
        `model "${name}" has no version "${version.slice(0, 64)}"; it serves "${info.version}"`,
        { field: 'version' },
      );
    }
    return info;
  }

  /** Models whose files failed to load, with the reason (the others serve). */
  failed(): FailedModel[] {
    return this.options.pool.failed;
  }

  /** 503 with the reason, for a model whose files failed to load; undefined for any other name. */
  private failedModel(name: string, field: string): ApiError | undefined {
    const failure = this.options.pool.failed.find((m) => m.name === name);
    if (!failure) return undefined;
    return new ApiError(503, 'model_failed', `model "${name}" failed to load: ${failure.reason}`, { field });
  }

  /** 404 naming the available models; the client's name is echoed only when it could be a model name. */
  private unknown(name: string, field: string): ApiError {
    const available = this.options.modelNames.join(', ');
    const what = MODEL_NAME.test(name)
      ? `unknown model "${name}"`
      : 'not a model name (1-63 lower-case letters, digits, ".", "_" or "-")';
    return new ApiError(404, 'model_not_found', `${what}; available: ${available}`, { field });
  }

  /** Decodes `image` and runs the model on it, within the request's deadline. */
  async predict(
    name: string,
    image: Uint8Array,
    options: PredictOptions,
    client: AbortSignal,
    startedAt = performance.now(),
  ): Promise<PredictBody> {
    const { labels } = this.model(name, 'model');
    const { oriented } = await inspectImage(image, this.options.config);
    const result = await this.bounded(client, startedAt, (run) =>
      this.options.pool.predict(name, image, options, run, oriented),
    );
    this.options.metrics.observeStages(name, result.timings);
    const { detections, classes } = namedDetections(result, labels);
    return {
      model: name,
      time: (performance.now() - startedAt) / 1000,
      detections,
      ...(classes ? { classes } : {}),
      timings: result.timings,
      ...(result.truncated ? { truncated: true, truncated_reason: result.truncated } : {}),
    };
  }

  /** Raw tensors through a model's network (v2), within the request's deadline. */
  infer(
    name: string,
    inputs: Record<string, TensorData>,
    client: AbortSignal,
    startedAt = performance.now(),
  ): Promise<Record<string, TensorData>> {
    this.model(name, 'name');
    return this.bounded(client, startedAt, (run) => this.options.pool.infer(name, inputs, run));
  }

  /**
   * Runs `work` until it ends, the client leaves (ClientGone) or the deadline passes (504). The worker is
   * asked to wrap up a little before the deadline (with what it has, marked truncated), so a long OCR
   * request ends as a partial 200 rather than a 504 where it can.
   */
  private async bounded<T>(
    client: AbortSignal,
    startedAt: number,
    work: (run: RunOptions) => Promise<T>,
  ): Promise<T> {
    const seconds = this.options.config.requestTimeout;
    const remainingMs = seconds * 1000 - (performance.now() - startedAt);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(deadlineExceeded(seconds)), Math.max(0, remainingMs));
    const onClientGone = () => controller.abort(new ClientGone('the client closed the connection'));
    if (client.aborted) onClientGone();
    client.addEventListener('abort', onClientGone, { once: true });
    // Room for one more batch of recognition and the reply: a fifth of the deadline, at most 2 s.
    const reserveMs = Math.min(2_000, seconds * 200);
    try {
      return await work({ signal: controller.signal, stopAt: Date.now() + remainingMs - reserveMs });
    } finally {
      clearTimeout(timer);
      client.removeEventListener('abort', onClientGone);
    }
  }
}
