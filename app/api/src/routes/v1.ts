// /v1: model metadata, and predictions on an image sent as multipart (`image` field) or as the raw body.
import { performance } from 'node:perf_hooks';
import { createRoute, z } from '@hono/zod-openapi';
import { ModelEntrySchema, ModelInfoSchema } from '../contract.js';
import { HOW_TO_SEND_IMAGE } from '../errors.js';
import { servedInfo } from '../v2/image-interface.js';
import { imageContentType, isMultipart, multipartPartLimit } from './image-upload.js';
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
  summary: 'Metadata of every model: task, inputs, outputs, labels, execution provider',
  responses: {
    200: {
      description: 'Models, and the ones that failed to load with the reason',
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
    200: { description: 'Model', content: { 'application/json': { schema: ModelInfoSchema } } },
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
  confidence: z.coerce
    .number()
    .pipe(confidenceSchema)
    .optional()
    .openapi({
      param: { name: 'confidence', in: 'query' },
      description: 'Minimum confidence, 0..1',
      example: 0.5,
    }),
});

export function v1Router(deps: AppDeps) {
  const router = newRouter();
  router.openapi(list, (c) => c.json([...deps.plane.models().map(servedInfo), ...deps.plane.failed()], 200));
  router.openapi(get, (c) => c.json(servedInfo(deps.plane.model(c.req.valid('param').name, 'name')), 200));

  const predict = createRoute({
    method: 'post',
    path: '/v1/models/{name}/predict',
    tags: ['v1'],
    summary: 'Predict on an image: multipart field `image`, or the raw bytes with Content-Type image/*',
    // The Content-Type is checked before the body is read, the multipart parts counted before they are parsed.
    middleware: [imageContentType, imageBodyLimit(deps), multipartPartLimit] as const,
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
