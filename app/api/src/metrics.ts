// Prometheus metrics. Each app gets its own registry (tests build several apps in one process).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { StageTimings } from './tasks/types.js';
import { threadCpuSeconds, threadGroup } from './thread-cpu.js';

export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status' | 'model'>;
  requestDuration: Histogram<'method' | 'route' | 'status' | 'model'>;
  stageDuration: Histogram<'model' | 'stage'>;
  observeStages(model: string, timings: StageTimings): void;
}

export interface PoolGauges {
  queueDepth: number;
  inFlight: number;
  workers: number;
  /** The inference workers' OS thread ids, for the per-thread CPU counter (none: all count as other). */
  inferenceThreadIds?: ReadonlySet<number>;
}

export function createMetrics(pool: () => PoolGauges): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status', 'model'] as const;
  const requests = new Counter({
    name: 'modelship_http_requests_total',
    help: 'HTTP requests by method, route, status and model',
    labelNames,
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: 'modelship_http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by method, route, status and model',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const stageDuration = new Histogram({
    name: 'modelship_inference_stage_duration_seconds',
    help: 'Time per inference stage (decode, preprocess, detection, recognition, inference, postprocess)',
    labelNames: ['model', 'stage'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'modelship_queue_depth',
    help: 'Requests waiting for an inference worker',
    registers: [registry],
    collect() {
      this.set(pool().queueDepth);
    },
  });
  new Gauge({
    name: 'modelship_inflight_requests',
    help: 'Inference requests admitted and not finished (running + queued)',
    registers: [registry],
    collect() {
      this.set(pool().inFlight);
    },
  });
  new Gauge({
    name: 'modelship_workers',
    help: 'Inference worker threads',
    registers: [registry],
    collect() {
      this.set(pool().workers);
    },
  });
  threadCpuCounter(registry, () => pool().inferenceThreadIds ?? new Set());
  return {
    registry,
    requests,
    requestDuration,
    stageDuration,
    observeStages(model, timings) {
      for (const [stage, seconds] of Object.entries(timings)) {
        if (typeof seconds === 'number' && Number.isFinite(seconds))
          stageDuration.observe({ model, stage }, seconds);
      }
    },
  };
}

/**
 * `modelship_thread_cpu_seconds_total{thread="main|inference|other"}` (Linux only): where the process's CPU
 * goes. Each scrape adds every live thread's CPU since the last one (a new thread's whole total) to its group.
 */
function threadCpuCounter(registry: Registry, inference: () => ReadonlySet<number>): void {
  if (threadCpuSeconds() === undefined) return;
  const seen = new Map<number, number>();
  const counter = new Counter({
    name: 'modelship_thread_cpu_seconds_total',
    help: 'CPU seconds by thread group: main (HTTP, JSON, hand-off to workers), inference (the workers), other (garbage collector, libuv pool, libvips)',
    labelNames: ['thread'] as const,
    registers: [registry],
    collect() {
      const now = threadCpuSeconds();
      if (!now) return;
      const workers = inference();
      for (const [tid, seconds] of now) {
        const more = seconds - (seen.get(tid) ?? 0);
        if (more > 0) this.inc({ thread: threadGroup(tid, workers) }, more);
        seen.set(tid, seconds);
      }
      for (const tid of seen.keys()) if (!now.has(tid)) seen.delete(tid);
    },
  });
  for (const thread of ['main', 'inference', 'other'] as const) counter.inc({ thread }, 0);
}
