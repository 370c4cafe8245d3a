// Liveness and readiness. /health answers as long as the process runs; /ready once every worker has loaded and
// warmed up its models (and no longer once shutdown begins), for health checks and rollouts. A model whose files
// fail to load is isolated by design: it does not hold readiness back, it is listed as failed.
import { createRoute } from '@hono/zod-openapi';
import { HealthResponseSchema, ReadyResponseSchema } from '../contract.js';
import { errorResponse, notReady } from '../errors.js';
import { type AppDeps, newRouter } from './router.js';
import { notReadyError } from './schemas.js';

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness: the process is up; which models there are, and which failed to load',
  responses: {
    200: {
      description: 'Up (also while loading: see `ready`)',
      content: {
        'application/json': {
          schema: HealthResponseSchema,
        },
      },
    },
  },
});

const ready = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['health'],
  summary: 'Readiness: loading is over and at least one model serves',
  description:
    '200 once every model was loaded and warmed up, or failed to: a model whose files fail to load does not hold ' +
    'the others back; it is listed in `failed` at /health and with its reason at /v1/models, and its predictions ' +
    'answer 503 `model_failed`. 503 while loading, while shutting down, or when no model loaded at all.',
  responses: {
    200: {
      description: 'Ready to serve predictions (check /health `failed` for models that did not load)',
      content: { 'application/json': { schema: ReadyResponseSchema } },
    },
    ...notReadyError,
  },
});

export function healthRouter(deps: AppDeps) {
  const router = newRouter();
  router.openapi(health, (c) =>
    c.json(
      {
        status: 'ok' as const,
        version: deps.version,
        models: deps.plane.modelNames,
        ready: deps.plane.isReady,
        failed: deps.plane.failed().map((m) => m.name),
      },
      200,
    ),
  );
  router.openapi(ready, (c) => {
    if (!deps.plane.isReady) return errorResponse(c, notReady()) as never;
    return c.json({ status: 'ready' as const }, 200);
  });
  return router;
}
