// What every router shares: its dependencies, the request context, validation errors, the image body limit
// and the error handler. Routers import this, app.ts imports the routers: nothing imports in a circle.
import type { Hook } from '@hono/zod-openapi';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { ErrorHandler, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ClientGone, type DataPlane } from '../data-plane.js';
import { ApiError, errorResponse, toApiError, validationError } from '../errors.js';
import { mebibytes } from '../http-server.js';
import { checkJsonDepth } from '../json-body.js';
import type { Metrics } from '../metrics.js';

export interface AppDeps {
  /** Model lookup, readiness and drain, deadlines: every route serves models through it. */
  plane: DataPlane;
  config: Pick<Config, 'bodyLimitBytes' | 'cloudProject' | 'corsOrigins' | 'trustProxy'>;
  version: string;
  logger: Logger;
  metrics: Metrics;
}

export interface AppEnv {
  Variables: {
    /** The model a request is for, as DataPlane.label() gives it (a served name or `unknown`): metrics, log. */
    model: string | undefined;
  };
}

export type Router = OpenAPIHono<AppEnv>;
export type RouterFactory = (deps: AppDeps) => Router;

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
  return bodyLimit({
    maxSize: deps.config.bodyLimitBytes,
    onError: () => {
      throw new ApiError(
        413,
        'payload_too_large',
        `the request body is over the ${mebibytes(deps.config.bodyLimitBytes)} limit`,
      );
    },
  });
}

/**
 * Route middleware for JSON bodies, after the body limit: refuses absurd nesting before hono's json validator
 * parses it (the validator then reads the text this cached).
 */
export const jsonDepthLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (/json/i.test(c.req.header('content-type') ?? '')) checkJsonDepth(await c.req.text());
  await next();
};

/** Status logged for a request whose client left before the answer (nginx's convention). */
export const CLIENT_CLOSED = 499;

/**
 * An onError handler: anything thrown becomes a JSON error, and only unexpected faults are logged. A client
 * that left (mid-upload, or while its request ran) is no fault: it gets a bare 499 that nobody reads.
 */
export function handleErrors(deps: AppDeps, body?: (error: ApiError) => object): ErrorHandler<AppEnv> {
  return (error, c) => {
    if (error instanceof ClientGone || (c.req.raw.signal.aborted && !(error instanceof ApiError))) {
      return new Response(null, { status: CLIENT_CLOSED });
    }
    const apiError = toApiError(error, c.req.header('content-type'));
    if (apiError.status >= 500 && !(error instanceof ApiError))
      deps.logger.error({ err: error }, 'unhandled error');
    return errorResponse(c, apiError, body);
  };
}
