// The hands-on's FastAPI contract, kept so the class's existing clients work unchanged:
// GET /models and POST /predict with a JSON body holding a base64 image.
import { performance } from 'node:perf_hooks';
import { createRoute, z } from '@hono/zod-openapi';
import { decodeBase64Image } from '../images/base64.js';
import { type AppDeps, imageBodyLimit, jsonDepthLimit, newRouter } from './router.js';
import { confidenceSchema, notReadyError, predictResponses } from './schemas.js';

const models = createRoute({
  method: 'get',
  path: '/models',
  tags: ['legacy'],
  summary: 'Names of the models that serve: the `status: "ready"` entries of /v1/models',
  responses: {
    200: {
      description:
        'Model names, each one a prediction can use; a model whose files failed to load is left out (/v1/models ' +
        'lists it as `status: "failed"` with the reason, /health under `failed`)',
      content: { 'application/json': { schema: z.array(z.string()).openapi({ example: ['ocr'] }) } },
    },
    ...notReadyError,
  },
});

const LegacyPredictRequest = z
  .object({
    model: z.string().min(1).openapi({ example: 'ocr' }),
    image: z.string().min(1).openapi({
      description: 'Base64 PNG, JPEG or WebP; a `data:image/...;base64,` prefix is accepted',
    }),
    confidence: confidenceSchema
      .optional()
      .openapi({ description: 'Minimum confidence, 0..1', example: 0.5 }),
  })
  .openapi('LegacyPredictRequest');

export function legacyRouter(deps: AppDeps) {
  const router = newRouter();
  router.openapi(models, (c) => c.json(deps.plane.servedNames(), 200));

  const predict = createRoute({
    method: 'post',
    path: '/predict',
    tags: ['legacy'],
    summary: 'Predict on a base64 image (the hands-on contract)',
    middleware: [imageBodyLimit(deps), jsonDepthLimit] as const,
    request: {
      body: { required: true, content: { 'application/json': { schema: LegacyPredictRequest } } },
    },
    responses: predictResponses,
  });
  router.openapi(predict, async (c) => {
    const started = performance.now();
    const body = c.req.valid('json');
    c.set('model', deps.plane.label(body.model));
    deps.plane.model(body.model, 'model');
    const image = decodeBase64Image(body.image);
    const options = body.confidence === undefined ? {} : { confidence: body.confidence };
    return c.json(await deps.plane.predict(body.model, image, options, c.req.raw.signal, started), 200);
  });
  return router;
}
