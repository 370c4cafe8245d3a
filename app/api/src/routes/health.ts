// Liveness and readiness. /health answers as long as the process runs; /ready only once every model is
// loaded and warmed up in every worker (and no longer once shutdown begins), for health checks and rollouts.
import { createRoute } from '@hono/zod-openapi';
import { HealthResponseSchema, ReadyResponseSchema } from '../contract.js';
import { errorResponse, notReady } from '../errors.js';
import { type AppDeps, newRouter } from './router.js';
import { notReadyError } from './schemas.js';

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness: the process is up',
  responses: {
    200: {
      description: 'Up',
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
  summary: 'Readiness: every model is loaded and warmed up',
  responses: {
    200: {
      description: 'Ready to serve predictions',
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
