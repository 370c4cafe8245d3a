// createApp(deps): the HTTP API, composed of one router per area around a running inference pool.

import { getConnInfo } from '@hono/node-server/conninfo';
import type { Hook } from '@hono/zod-openapi';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { ErrorHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { routePath } from 'hono/route';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { ApiError, errorResponse, toApiError, validationError } from './errors.js';
import { requestLogFields } from './logger.js';
import type { Metrics } from './metrics.js';
import type { InferencePool } from './pool/pool.js';
import { mountDocs } from './routes/docs.js';
import { healthRouter } from './routes/health.js';
import { legacyRouter } from './routes/legacy.js';
import { metricsRouter } from './routes/metrics.js';
import { v1Router } from './routes/v1.js';
import { v2Router } from './routes/v2.js';

const PROBES = new Set(['/health', '/ready', '/v2/health/live', '/v2/health/ready']);

export interface AppDeps {
  pool: InferencePool;
  config: Pick<Config, 'bodyLimitBytes' | 'maxPixels' | 'cloudProject'>;
  /** Model names from the manifests: known before the models are loaded. */
  modelNames: string[];
  version: string;
  logger: Logger;
  metrics: Metrics;
}

export interface AppEnv {
  Variables: {
    /** Set by routes that serve a model, for the request log and metrics. */
    model: string | undefined;
  };
}

export type Router = OpenAPIHono<AppEnv>;
export type RouterFactory = (deps: AppDeps) => Router;

/**
 * The routers mounted at the root, in order. Another area (e.g. the Open Inference Protocol v2 router in
 * routes/v2.ts) plugs in by adding its factory here; it gets the same deps, errors, logging and metrics.
 */
export const routers: RouterFactory[] = [healthRouter, legacyRouter, v1Router, v2Router, metricsRouter];

/** Every router reports request validation failures the same way: 422 naming the field. */
// biome-ignore lint/suspicious/noExplicitAny: the hook is shared by routes with different inputs.
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (!result.success) throw validationError(result.error, result.target);
};

export function newRouter(): Router {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** Route middleware for endpoints that take an image: answers 413 before reading past the limit. */
export function imageBodyLimit(deps: AppDeps) {
  const limitMb = (deps.config.bodyLimitBytes / 1024 / 1024).toFixed(0);
  return bodyLimit({
    maxSize: deps.config.bodyLimitBytes,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `the request body is over the ${limitMb} MB limit`);
    },
  });
}

export function createApp(deps: AppDeps): Router {
  const app = newRouter();
  app.use(secureHeaders({ crossOriginEmbedderPolicy: false }));
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routePath(c, -1);
    const labels = {
      method: c.req.method,
      route: route === '/*' || route === '*' ? 'unmatched' : route,
      status: String(c.res.status),
      model: c.get('model') ?? '',
    };
    deps.metrics.requests.inc(labels);
    deps.metrics.requestDuration.observe(labels, seconds);
    // One line per request, shaped as a Cloud Logging request log (logger.ts), without bodies, query strings
    // or credentials. 503 is an expected state (warming up, busy, stopping), not a fault. Health probes
    // (Docker, `npm start`, load balancers) poll every few seconds: they are logged at debug level only.
    const status = c.res.status;
    const level = status >= 500 && status !== 503 ? 'error' : PROBES.has(c.req.path) ? 'debug' : 'info';
    // responseSize: when the handler declares it (the node server adds Content-Length only while writing).
    const log = (responseSize: string | null) =>
      deps.logger[level](
        {
          ...requestLogFields(
            {
              method: c.req.method,
              path: c.req.path,
              status,
              seconds,
              headers: c.req.raw.headers,
              responseSize,
              socketIp: socketAddress(c),
            },
            deps.config.cloudProject,
          ),
          model: labels.model || undefined,
        },
        `${c.req.method} ${c.req.path} ${status}`,
      );
    log(c.res.headers.get('content-length'));
  });

  for (const factory of routers) app.route('/', factory(deps));
  mountDocs(app, deps);

  app.notFound((c) =>
    errorResponse(c, new ApiError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)),
  );
  app.onError(handleErrors(deps));
  return app;
}

/** The peer address under @hono/node-server; undefined under app.request() in tests. */
function socketAddress(c: Parameters<typeof getConnInfo>[0]): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** An onError handler: anything thrown becomes a JSON error, and only unexpected faults are logged. */
export function handleErrors(deps: AppDeps, body?: (error: ApiError) => object): ErrorHandler<AppEnv> {
  return (error, c) => {
    const apiError = toApiError(error, c.req.header('content-type'));
    if (apiError.status >= 500 && !(error instanceof ApiError))
      deps.logger.error({ err: error }, 'unhandled error');
    return errorResponse(c, apiError, body);
  };
}
