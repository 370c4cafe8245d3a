// Environment configuration, read and validated once at start. A bad value stops the server with a
// message naming the variable, instead of failing later in a request.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { HttpTimeouts } from './http-server.js';
import { chooseWorkers, type HostResources, readMemoryLimit, type WorkersChoice } from './memory-budget.js';
import { bodyLimitBytes, decimal, httpTimeouts, parseEnv, port, sharedEnv } from './shared-env.js';

/** Execution providers onnxruntime-node can be asked for; 'cpu' is always available. */
export const KNOWN_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const;

// src/config.ts and dist/config.js both sit two levels below the repository root's app/ folder.
const defaultModelsDir = fileURLToPath(new URL('../../../models', import.meta.url));

const positiveInt = z.number().int().positive();

const envSchema = {
  ...sharedEnv,
  PORT: port().default(8000),
  ORT_PROVIDERS: z
    .string()
    .default('cpu')
    .transform((value) =>
      value
        .split(',')
        .map((p) => p.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(KNOWN_PROVIDERS)).min(1)),
  WORKERS: decimal(positiveInt.max(256)).optional(),
  QUEUE_SIZE: decimal(z.number().int().min(0)).optional(),
  MAX_PIXELS: decimal(z.number().positive()).default(40e6),
  // JPEG's own limit: long receipts and panoramas fit, while a 1×39,000,000 PNG (under MAX_PIXELS) that ties
  // a worker up for ~30 s in an uninterruptible decode (libvips pays per row) does not.
  MAX_SIDE: decimal(positiveInt).default(65_535),
  MODELS_DIR: z.string().min(1).default(defaultModelsDir),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT: decimal(z.number().positive()).default(10),
  REQUEST_TIMEOUT: decimal(z.number().positive().max(3600)).default(30),
  OCR_MAX_BOXES: decimal(positiveInt.max(100_000)).default(300),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(
            /^(\*|https?:\/\/[^/?#\s]+)$/,
            'each origin is scheme://host[:port] with no path (e.g. https://app.example.com), or *',
          ),
      ),
    ),
  APP_VERSION: z.string().min(1).optional(),
  GOOGLE_CLOUD_PROJECT: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project ID')
    .optional(),
};

export interface Config {
  port: number;
  host: string;
  providers: string[];
  workers: number;
  /** Why `workers` is not one per core, or why it may not fit the memory limit: logged at start. */
  workersNotice: WorkersChoice['notice'];
  /** Requests that may wait for a worker; beyond that the API answers 503. */
  queueSize: number;
  bodyLimitBytes: number;
  maxPixels: number;
  /** Longest width or height an image may have, read from its header before decoding. */
  maxSide: number;
  modelsDir: string;
  logLevel: string;
  /** Seconds to finish in-flight requests after SIGTERM; below compose's stop_grace_period (20 s). */
  shutdownTimeout: number;
  /** Seconds one request may take, queue wait included, before it is answered 504 and its work stopped. */
  requestTimeout: number;
  /** OCR: most text boxes recognised per image. At ~50 ms per box on one CPU core, 300 boxes fit well
   * inside the default 30 s deadline; a longer list is cut, and the response says `truncated`. */
  maxBoxes: number;
  httpTimeouts: HttpTimeouts;
  /** Log the client address from X-Forwarded-For: only behind a proxy that sets it (the UI, Caddy). */
  trustProxy: boolean;
  /** Origins whose browser pages may call the API (CORS); none by default, `*` for any. */
  corsOrigins: string[];
  /** Overrides the package.json version in /health (container and VM rollout tests use it). */
  appVersion: string | undefined;
  /** The GCP project, for trace links in the request log (`projects/P/traces/ID`); set by the deployment. */
  cloudProject: string | undefined;
}

/** Requests that may wait for a worker when QUEUE_SIZE is unset (the cloud-run shape sizes its concurrency by it). */
export const defaultQueueSize = (workers: number): number => 4 * workers;

/** This process's cores and container memory limit. */
export const hostResources = (): HostResources => ({
  cores: availableParallelism(),
  memoryLimitBytes: readMemoryLimit(),
});

/** Parses the environment; throws ConfigError naming every bad variable. `host` sizes the default WORKERS. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  host: HostResources = hostResources(),
): Config {
  const e = parseEnv(envSchema, env);
  const { workers, notice } = chooseWorkers(e.WORKERS, host);
  return {
    port: e.PORT,
    host: e.HOST,
    providers: e.ORT_PROVIDERS,
    workers,
    workersNotice: notice,
    queueSize: e.QUEUE_SIZE ?? defaultQueueSize(workers),
    bodyLimitBytes: bodyLimitBytes(e.BODY_LIMIT_MB),
    maxPixels: Math.floor(e.MAX_PIXELS),
    maxSide: e.MAX_SIDE,
    modelsDir: resolve(e.MODELS_DIR),
    logLevel: e.LOG_LEVEL,
    shutdownTimeout: e.SHUTDOWN_TIMEOUT,
    requestTimeout: e.REQUEST_TIMEOUT,
    maxBoxes: e.OCR_MAX_BOXES,
    httpTimeouts: httpTimeouts(e),
    trustProxy: e.TRUST_PROXY,
    corsOrigins: e.CORS_ORIGINS,
    appVersion: e.APP_VERSION,
    cloudProject: e.GOOGLE_CLOUD_PROJECT,
  };
}
