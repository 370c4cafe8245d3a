import { createRoute, z } from '@hono/zod-openapi';
import { type AppDeps, newRouter } from './router.js';

const metrics = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['health'],
  summary: 'Prometheus metrics: requests, latency per model and stage, queue depth, process',
  responses: {
    200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
  },
});

export function metricsRouter(deps: AppDeps) {
  const router = newRouter();
  router.openapi(metrics, async (c) => {
    const text = await deps.metrics.registry.metrics();
    return c.text(text, 200, { 'Content-Type': deps.metrics.registry.contentType });
  });
  return router;
}
