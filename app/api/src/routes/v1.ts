// /v1: model metadata, and predictions on an image sent as multipart (`image` field) or as the raw body.
import { performance } from 'node:perf_hooks';
import { createRoute, z } from '@hono/zod-openapi';
import { ModelEntrySchema, type ModelInfo, ServedModelSchema } from '../contract.js';
import { decimalNumber } from '../decimal.js';
import { HOW_TO_SEND_IMAGE } from '../errors.js';
import { servedInfo } from '../v2/image-interface.js';
import { imageContentType, isMultipart, multipartForm } from './image-upload.js';
import { type AppDeps, imageBodyLimit, newRouter } from './router.js';
import {
  confidenceSchema,
  ModelNameParam,
  notFoundError,
  notReadyError,
  predictResponses,
} from './schemas.js';

const list = createRoute({
  method: 'get',
  path: '/v1/models',
  tags: ['v1'],
  summary: 'Every model: `status` "ready" with its metadata, or "failed" with the reason it did not load',
  responses: {
    200: {
      description:
        'The served models (`status: "ready"`: task, inputs, outputs, labels, execution provider), then the ones ' +
        'that failed to load (`status: "failed"`, `reason`): a failed model answers its predictions with 503',
      content: { 'application/json': { schema: z.array(ModelEntrySchema) } },
    },
    ...notReadyError,
  },
});

const get = createRoute({
  method: 'get',
  path: '/v1/models/{name}',
  tags: ['v1'],
  summary: 'Metadata of one model',
  request: { params: ModelNameParam },
  responses: {
    200: { description: 'Model', content: { 'application/json': { schema: ServedModelSchema } } },
    ...notFoundError,
    ...notReadyError,
  },
});

const MultipartImage = z.object({
  image: z
    // A multipart form without an `image` file: say how to send an image. Two
    // `image` parts arrive as an array: say that one image is taken, not that no file was sent.
    .instanceof(File, {
      error: (issue) =>
        Array.isArray(issue.input)
          ? `one image per request: the form has ${issue.input.length} 'image' parts; send each image in its own request`
          : `expected a file upload: ${HOW_TO_SEND_IMAGE}`,
    })
    .openapi({ type: 'string', format: 'binary', description: 'PNG, JPEG or WebP' }),
});

const PredictQuery = z.object({
  confidence: z
    // `?confidence=0.5&confidence=0.9` arrives as an array, which Number() made NaN ("received NaN").
    .preprocess((value, ctx) => {
      if (!Array.isArray(value)) return value;
      ctx.addIssue({
        code: 'custom',
        message: `must be given once, got ${value.length} values`,
      });
      return z.NEVER;
    }, decimalNumber('must be a number from 0 to 1').pipe(confidenceSchema))
    .optional()
    .openapi({
      param: { name: 'confidence', in: 'query' },
      // The preprocess step hides the number's bounds from the generator: stated here.
      type: 'number',
      minimum: 0,
      maximum: 1,
      description: 'Minimum confidence, 0..1',
      example: 0.5,
    }),
});

export function v1Router(deps: AppDeps) {
  const router = newRouter();
  const served = (info: ModelInfo) => ({ ...servedInfo(info), status: 'ready' as const });
  router.openapi(list, (c) => c.json([...deps.plane.models().map(served), ...deps.plane.failed()], 200));
  router.openapi(get, (c) => c.json(served(deps.plane.model(c.req.valid('param').name, 'name')), 200));

  const predict = createRoute({
    method: 'post',
    path: '/v1/models/{name}/predict',
    tags: ['v1'],
    summary: 'Predict on an image: multipart field `image`, or the raw bytes with Content-Type image/*',
    // The Content-Type is checked before the body is read, the multipart parts counted before they are parsed.
    middleware: [imageContentType, imageBodyLimit(deps), multipartForm] as const,
    request: {
      params: ModelNameParam,
      query: PredictQuery,
      body: {
        required: false,
        content: {
          'multipart/form-data': { schema: MultipartImage },
          'image/*': { schema: z.string().openapi({ type: 'string', format: 'binary' }) },
        },
      },
    },
    responses: predictResponses,
  });
  router.openapi(predict, async (c) => {
    const started = performance.now();
    const { name } = c.req.valid('param');
    const { confidence } = c.req.valid('query');
    c.set('model', deps.plane.label(name));
    deps.plane.model(name, 'name');
    // imageContentType let only multipart and image/* through; for multipart the form validator ran, so
    // `image` is a File.
    const image = isMultipart(c.req.header('content-type') ?? '')
      ? new Uint8Array(await (c.req.valid('form') as z.infer<typeof MultipartImage>).image.arrayBuffer())
      : new Uint8Array(await c.req.arrayBuffer());
    const options = confidence === undefined ? {} : { confidence };
    return c.json(await deps.plane.predict(name, image, options, c.req.raw.signal, started), 200);
  });
  return router;
}
