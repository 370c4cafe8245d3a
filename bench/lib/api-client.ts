// What the benchmark reads from a running API: predictions, /metrics scrapes, RSS.
import type { TextBox } from './cer.js';
import { type BenchInput, predictBody } from './inputs.js';
import { fetchRetry, type HttpRequestSpec, requestJson } from './load.js';
import {
  type HistogramTotals,
  histogramTotalsBy,
  parseSamples,
  sampleValue,
  stageMeans,
} from './prometheus.js';

export const STAGE_HISTOGRAM = 'modelship_inference_stage_duration_seconds';
export const REQUEST_HISTOGRAM = 'modelship_http_request_duration_seconds';

export interface PredictResponse {
  model: string;
  /** Seconds from the route's start to the worker's answer. */
  time: number;
  detections: TextBox[];
  /** Seconds per server stage (decode, preprocess, inference, ...). */
  timings: Record<string, number>;
}

/** POST /predict with the legacy JSON body, for one call or an autocannon run (body encoded once). */
export function predictRequest(input: Pick<BenchInput, 'bytes'>, model?: string): HttpRequestSpec {
  return {
    path: '/predict',
    method: 'POST',
    body: predictBody(input, model),
    headers: { 'content-type': 'application/json' },
  };
}

export function predict(baseUrl: string, request: HttpRequestSpec): Promise<PredictResponse> {
  return requestJson<PredictResponse>(baseUrl, request);
}

export interface Scrape {
  stages: Map<string, HistogramTotals>;
  routes: Map<string, HistogramTotals>;
  rssBytes: number | undefined;
  /** CPU seconds the API process has used, every thread (main, workers, onnxruntime, sharp). */
  cpuSeconds: number | undefined;
  /** Requests admitted and not finished, running or queued. */
  inFlight: number | undefined;
  /** CPU seconds per thread group (Linux): main, inference (workers), other (GC, libuv, libvips). */
  threadCpuSeconds: Partial<Record<ThreadGroup, number>>;
}

export const THREAD_GROUPS = ['main', 'inference', 'other'] as const;
export type ThreadGroup = (typeof THREAD_GROUPS)[number];

export async function scrape(baseUrl: string): Promise<Scrape> {
  const res = await fetchRetry(`${baseUrl}/metrics`);
  const samples = parseSamples(await res.text());
  return {
    stages: histogramTotalsBy(samples, 'stage', STAGE_HISTOGRAM),
    routes: histogramTotalsBy(samples, 'route', REQUEST_HISTOGRAM),
    rssBytes: sampleValue(samples, 'process_resident_memory_bytes'),
    cpuSeconds: sampleValue(samples, 'process_cpu_seconds_total'),
    inFlight: sampleValue(samples, 'modelship_inflight_requests'),
    threadCpuSeconds: Object.fromEntries(
      THREAD_GROUPS.flatMap((thread) => {
        const value = sampleValue(samples, 'modelship_thread_cpu_seconds_total', { thread });
        return value === undefined ? [] : [[thread, value]];
      }),
    ),
  };
}

/** Mean milliseconds per request in each stage, and in the whole /predict route, between two scrapes. */
export function stageBreakdown(
  before: Scrape,
  after: Scrape,
  requests: number,
): { stages: Record<string, number>; serverMs?: number } {
  const stages = stageMeans(before.stages, after.stages, requests);
  const server = stageMeans(before.routes, after.routes, requests)['/predict'];
  return {
    stages: Object.fromEntries(Object.entries(stages).map(([stage, s]) => [stage, s * 1000])),
    ...(server === undefined ? {} : { serverMs: server * 1000 }),
  };
}

/** Waits until the API has no request running or queued (or `timeoutMs` passes). */
export async function waitIdle(baseUrl: string, timeoutMs = 300_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const { inFlight } = await scrape(baseUrl);
    if (inFlight === undefined || inFlight === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const mib = (bytes: number | undefined): number | null =>
  bytes === undefined ? null : bytes / 2 ** 20;

/** Samples RSS from /metrics every `everyMs` until stopped; resolves to the peak in MiB. */
export function sampleRss(baseUrl: string, everyMs = 500): { stop(): Promise<number | null> } {
  let peak: number | undefined;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rss = (await scrape(baseUrl).catch(() => undefined))?.rssBytes;
      if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return mib(peak);
    },
  };
}
