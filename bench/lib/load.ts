// Load generation: sequential requests for latency at concurrency 1, autocannon for throughput.
import autocannon from 'autocannon';
import type { LoadRun } from './results.js';
import { summarize } from './stats.js';

export interface HttpRequestSpec {
  path: string;
  method: 'GET' | 'POST';
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export interface Timed<T> {
  latenciesMs: number[];
  last: T | undefined;
}

export interface SequentialBudget {
  minRequests: number;
  maxRequests: number;
  budgetMs: number;
}

/**
 * One call at a time until `maxRequests` are done or `budgetMs` has passed (and at least `minRequests`).
 * Used for both the API (over HTTP) and the peer (in-process).
 */
export async function timeSequential<T>(
  call: () => Promise<T>,
  { minRequests, maxRequests, budgetMs }: SequentialBudget,
): Promise<Timed<T>> {
  let last: T | undefined;
  const latenciesMs: number[] = [];
  const started = performance.now();
  while (
    latenciesMs.length < maxRequests &&
    (latenciesMs.length < minRequests || performance.now() - started < budgetMs)
  ) {
    const t0 = performance.now();
    last = await call();
    latenciesMs.push(performance.now() - t0);
  }
  return { latenciesMs, last };
}

/**
 * fetch, tried once more when the connection fails before any answer: a keep-alive socket the server closed
 * while the bench was busy with the in-process peer (its event loop blocked) would otherwise fail the run.
 */
export async function fetchRetry(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return fetch(url, init);
  }
}

/** fetch that fails on any non-2xx answer and returns the parsed JSON body. */
export async function requestJson<T>(baseUrl: string, spec: HttpRequestSpec): Promise<T> {
  const res = await fetchRetry(`${baseUrl}${spec.path}`, {
    method: spec.method,
    body: spec.body,
    headers: spec.headers,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${spec.method} ${spec.path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export interface LoadOptions extends HttpRequestSpec {
  connections: number;
  /** Seconds, or a request count with `amount`. */
  seconds?: number;
  amount?: number;
  /** Requests per second over all connections (a light probe); unlimited when unset. */
  overallRate?: number;
}

/** An autocannon run; every response time is kept so percentiles are exact (autocannon reports no p95). */
export async function runLoad(baseUrl: string, options: LoadOptions): Promise<LoadRun> {
  const latencies: number[] = [];
  let failures = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${baseUrl}${options.path}`,
        method: options.method,
        body: options.body,
        headers: options.headers,
        connections: options.connections,
        // autocannon rejects keys set to undefined, so only the ones in use are passed.
        ...(options.amount === undefined ? { duration: options.seconds ?? 10 } : { amount: options.amount }),
        ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
        timeout: 120,
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      else failures++;
    });
  });
  const seconds = result.duration;
  return {
    concurrency: options.connections,
    seconds,
    requests: latencies.length,
    requestsPerSecond: latencies.length / seconds,
    latency: summarize(latencies),
    errors: failures + result.errors, // autocannon counts timeouts among errors
  };
}

/**
 * Long enough for several rounds of requests to complete: a run shorter than a queued request's wait
 * would measure nothing. At most three times the profile's length.
 */
export function loadSeconds(base: number, p50Ms: number, connections: number, workers: number): number {
  const rounds = Math.ceil(connections / workers);
  return Math.min(3 * base, Math.max(base, Math.ceil((3 * rounds * p50Ms) / 1000)));
}
