// The main thread's side of the inference workers: a piscina pool with admission control in front of it.
// Requests beyond `workers + queueSize` are refused (503) instead of piling up in memory.
import { Piscina } from 'piscina';
import type { FailedModel } from '../contract.js';
import { ApiError } from '../errors.js';
import type { ModelInfo, PredictOptions, PredictResult } from '../tasks/types.js';
import { DynamicBatcher } from './dynamic-batcher.js';
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
} from './protocol.js';

/** How a caller bounds one task: its signal's `reason` is what the task rejects with when it aborts. */
export interface RunOptions {
  signal?: AbortSignal;
  /** Date.now() after which the worker wraps up and returns what it has, marked truncated. */
  stopAt?: number;
}

/** One request waiting in a model's batcher. */
interface BatchItem {
  image: ArrayBuffer;
  size: ImageSize | undefined;
  options: PredictOptions;
}

export interface PoolOptions extends WorkerData {
  workers: number;
  queueSize: number;
  /** Worker failures outside any request (e.g. a thread that died while idle); piscina then replaces it. */
  onError?: (error: Error) => void;
}

// From source (vitest, tsx) the worker is TypeScript and needs tsx's loader; from dist it is plain JS.
const fromSource = import.meta.url.endsWith('.ts');
const workerFile = new URL(fromSource ? '../worker.ts' : '../worker.js', import.meta.url);

export class InferencePool {
  readonly workers: number;
  readonly queueSize: number;
  private readonly piscina: Piscina;
  private admitted = 0;
  private infos: ModelInfo[] = [];
  private failures: FailedModel[] = [];
  private loadWarnings: LoadWarning[] = [];
  private readonly batchers = new Map<string, DynamicBatcher<BatchItem, PredictResponse>>();
  private readonly osThreadIds = new Set<number>();
  private started = false;
  private closing = false;
  /** close() waits on these until no task is queued or running (see close()). */
  private readonly idleWaiters: (() => void)[] = [];
  /** Aborted by stopAll() at the server's drain deadline: every task still running wraps up. */
  private readonly stopping = new AbortController();
  /** Resolves once every worker has loaded and warmed up every model; rejects if one failed. */
  readonly ready: Promise<void>;
  /** Resolves once every worker has finished loading, successfully or not. */
  private readonly settled: Promise<void>;

  constructor(options: PoolOptions) {
    this.workers = options.workers;
    this.queueSize = options.queueSize;
    const workerData: WorkerData = {
      models: options.models,
      sessionOptions: options.sessionOptions,
      providers: options.providers,
      maxPixels: options.maxPixels,
      maxBoxes: options.maxBoxes,
    };
    this.piscina = new Piscina({
      filename: workerFile.href,
      minThreads: options.workers,
      maxThreads: options.workers,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      // close() waits for running tasks however long they take: terminating a thread inside onnxruntime's
      // run() aborts the whole process. The server bounds shutdown with its own deadline instead.
      closeTimeout: 2 ** 31 - 1,
      execArgv: fromSource ? ['--import', 'tsx'] : [],
      workerData,
    });
    // Every worker's OS thread id, replacements included, so /metrics can tell their CPU from the rest's.
    this.piscina.on('message', (message: WorkerStatus) => {
      if (message?.type === 'modelship:worker-ready' && message.osThreadId !== undefined)
        this.osThreadIds.add(message.osThreadId);
    });
    const statuses = this.collectStatuses();
    this.settled = statuses.then(() => undefined);
    this.ready = statuses.then(async (list) => {
      const failure = list.find((status) => status.type === 'modelship:worker-failed');
      if (failure) throw new Error(failure.error);
      // Every worker loads the same files, so the first one's failures stand for all.
      const first = list[0];
      this.failures = first?.type === 'modelship:worker-ready' ? first.failed : [];
      this.loadWarnings = first?.type === 'modelship:worker-ready' ? first.warnings : [];
      const response = (await this.piscina.run({ kind: 'info' } satisfies WorkerRequest)) as InfoResponse;
      this.infos = unwrap(response).models;
      this.startBatchers();
      this.started = true;
    });
    // A rejected `ready` is handled by whoever awaits it; this keeps an unawaited one from crashing the process.
    this.ready.catch(() => {});
    // Without a listener, an 'error' event would throw and take the whole process down.
    this.piscina.on('error', (error: Error) => options.onError?.(error));
  }

  /** The first status (ready or failed) of each of the initial workers, once all of them have reported. */
  private collectStatuses(): Promise<WorkerStatus[]> {
    return new Promise((resolve) => {
      const byThread = new Map<number, WorkerStatus>();
      const done = () => {
        this.piscina.off('message', onMessage);
        this.piscina.off('error', onError);
        resolve([...byThread.values()]);
      };
      const onMessage = (message: WorkerStatus) => {
        if (message?.type !== 'modelship:worker-ready' && message?.type !== 'modelship:worker-failed') return;
        if (!byThread.has(message.threadId)) byThread.set(message.threadId, message);
        if (byThread.size >= this.workers) done();
      };
      // A thread that dies while loading (e.g. out of memory) reports nothing: count it as failed.
      const onError = (error: Error) => {
        byThread.set(-1 - byThread.size, {
          type: 'modelship:worker-failed',
          threadId: -1,
          error: error.message,
        });
        done();
      };
      this.piscina.on('message', onMessage);
      this.piscina.on('error', onError);
    });
  }

  /** True from the end of warm-up until close(): tasks are taken. */
  get isAccepting(): boolean {
    return this.started && !this.closing;
  }

  get models(): ModelInfo[] {
    return this.infos;
  }

  /** Models whose files failed to load, with the reason; the others serve. */
  get failed(): FailedModel[] {
    return this.failures;
  }

  /** What loading the models had to say, from the first worker (they all load the same files). */
  get warnings(): LoadWarning[] {
    return this.loadWarnings;
  }

  /** The workers' OS thread ids (Linux; empty elsewhere), for their CPU time in /proc (thread-cpu.ts). */
  get inferenceThreadIds(): ReadonlySet<number> {
    return this.osThreadIds;
  }

  /** Requests waiting for a worker (the rest of the admitted ones are running). */
  get queueDepth(): number {
    return this.piscina.queueSize;
  }

  /** Requests admitted and not finished: running plus queued. */
  get inFlight(): number {
    return this.admitted;
  }

  /**
   * Decodes the image in a worker and runs the model, alone or stacked with other requests when the model
   * batches. The bytes are moved to the worker, not copied. `size` (after EXIF orientation), when the caller has
   * read the header already, spares the worker a second read.
   */
  async predict(
    model: string,
    image: Uint8Array,
    options: PredictOptions,
    run: RunOptions = {},
    size?: ImageSize,
  ): Promise<PredictResult> {
    const buffer = transferable(image);
    const batcher = this.batchers.get(model);
    const response = (await this.admit(
      (bounds) =>
        batcher
          ? batcher.submit({ image: buffer, size, options })
          : this.piscina.run(
              { kind: 'predict', model, image: buffer, size, options, bounds } satisfies WorkerRequest,
              {
                transferList: [buffer],
              },
            ),
      run,
    )) as PredictResponse;
    return unwrap(response).result;
  }

  /** Batches run so far for a model that batches (undefined for the others). */
  batchStats(model: string): DynamicBatcher<BatchItem, PredictResponse>['stats'] | undefined {
    return this.batchers.get(model)?.stats;
  }

  private startBatchers(): void {
    for (const info of this.infos) {
      if (!info.batching) continue;
      const model = info.name;
      const batcher = new DynamicBatcher<BatchItem, PredictResponse>(
        info.batching,
        async (items) => {
          const images = items.map((item) => item.image);
          const sizes = items.map((item) => item.size);
          const options = items.map((item) => item.options);
          const request: WorkerRequest = { kind: 'predictBatch', model, images, sizes, options };
          const response = (await this.piscina.run(request, {
            transferList: images,
          })) as PredictBatchResponse;
          return unwrap(response).results;
        },
        this.workers,
      );
      this.batchers.set(model, batcher);
    }
  }

  /** Runs raw tensors through a model's `infer` (the v2 protocol). */
  async infer(
    model: string,
    inputs: Record<string, TensorData>,
    run: RunOptions = {},
  ): Promise<Record<string, TensorData>> {
    const response = (await this.admit(
      (bounds) => this.piscina.run({ kind: 'infer', model, inputs, bounds } satisfies WorkerRequest),
      run,
    )) as InferResponse;
    return unwrap(response).outputs;
  }

  /**
   * Queues the task unless the pool is full. When `run.signal` aborts (client gone, deadline, stopAll), the
   * caller gets the signal's reason at once and the worker is told to stop: a queued task is dropped when it
   * comes up, a running one wraps up at its next check. The slot stays taken until the worker lets go.
   * (A request in a dynamic batch runs with its batch: batches are short, and not worth splitting.)
   */
  private async admit(start: (bounds: RunBounds) => Promise<unknown>, run: RunOptions): Promise<unknown> {
    if (this.closing) throw new ApiError(503, 'not_ready', 'the server is shutting down', { retryAfter: 1 });
    if (!this.started)
      throw new ApiError(503, 'not_ready', 'the models are still loading', { retryAfter: 1 });
    if (this.admitted >= this.workers + this.queueSize) {
      throw new ApiError(
        503,
        'queue_full',
        `the server is busy (${this.admitted} requests in progress); retry shortly`,
        {
          retryAfter: 1,
        },
      );
    }
    const bounds: RunBounds = {
      stop: new SharedArrayBuffer(4),
      stopAt: run.stopAt ?? Number.POSITIVE_INFINITY,
    };
    // Both signals are watched directly: AbortSignal.any() cost 30-50 µs per request on Node 20 (weak refs and
    // a finalizer per call, kept on the server-long `stopping` signal until a GC).
    const signals = run.signal ? [run.signal, this.stopping.signal] : [this.stopping.signal];
    this.admitted += 1;
    const result = start(bounds).finally(() => {
      this.admitted -= 1;
      if (this.admitted === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
    return new Promise((resolve, reject) => {
      // The reason of the first signal aborted, as AbortSignal.any() gives it.
      const aborted = () => signals.find((signal) => signal.aborted);
      const abort = () => {
        Atomics.store(new Int32Array(bounds.stop), 0, 1);
        reject(aborted()?.reason);
      };
      if (aborted()) abort();
      for (const signal of signals) signal.addEventListener('abort', abort, { once: true });
      result.then(resolve, reject).finally(() => {
        for (const signal of signals) signal.removeEventListener('abort', abort);
      });
    });
  }

  /** The drain deadline: every task running or queued stops at its next check and answers 503. */
  stopAll(): void {
    this.stopping.abort(new ApiError(503, 'not_ready', 'the server is shutting down', { retryAfter: 1 }));
  }

  /** Refuses new work, lets running and queued tasks finish, then stops the workers. */
  async close(): Promise<void> {
    this.closing = true;
    // A worker still loading may be inside onnxruntime (creating a session, warming up): stopping it
    // there aborts the process, so close only once every worker has finished loading.
    await this.settled;
    // Every task admitted must have settled first, including those whose callers stopped waiting (client
    // gone, deadline, stopAll): piscina's close() can resolve between two tasks of one worker and then
    // terminate it inside onnxruntime, which aborts the process.
    if (this.admitted > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.piscina.close();
  }
}

function unwrap<T extends { ok: true }>(response: T | WorkerFailure): T {
  if (response.ok) return response;
  throw new ApiError(response.status, response.code, response.detail, { field: response.field });
}

/** An ArrayBuffer holding exactly these bytes that may be transferred. Small Buffers share Node's pool slab,
 * which must not be detached, so those are copied. */
function transferable(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer;
  }
  // Not bytes.slice(): on a Buffer that is a view of the same slab, not a copy.
  return new Uint8Array(bytes).buffer as ArrayBuffer;
}
