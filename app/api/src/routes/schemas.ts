// Request parameters and the error responses the routes share. The response bodies themselves are the
// contract's (../contract.ts).
import { z } from '@hono/zod-openapi';
import { type ErrorBody, ErrorSchema, PredictResponseSchema } from '../contract.js';

export const ModelNameParam = z.object({
  name: z
    .string()
    .min(1)
    .openapi({ param: { name: 'name', in: 'path' }, example: 'ocr' }),
});

export const confidenceSchema = z.number().min(0).max(1);

/** An error response whose examples are real bodies the API sends for that status, one per error code. */
const error = (description: string, ...examples: ErrorBody[]) => ({
  description,
  content: {
    'application/json': {
      schema: ErrorSchema,
      examples: Object.fromEntries(examples.map((body) => [body.error, { value: body }])),
    },
  },
});

const NOT_READY: ErrorBody = { error: 'not_ready', detail: 'the models are still loading; retry shortly' };
// `field` is `name` on /v1 and `model` on /predict: left out of the shared example.
const MODEL_NOT_FOUND: ErrorBody = {
  error: 'model_not_found',
  detail: 'unknown model "yolo"; available: ocr',
};

/** What every predict route answers: the detections, or one of these errors. */
export const predictResponses = {
  200: { description: 'Detections', content: { 'application/json': { schema: PredictResponseSchema } } },
  400: error(
    'Malformed JSON, invalid base64, not an image or a truncated image',
    { error: 'invalid_image', detail: 'not an image: expected PNG, JPEG or WebP data', field: 'image' },
    { error: 'invalid_json', detail: 'Malformed JSON in request body' },
  ),
  404: error('Unknown model; the detail lists the available ones', MODEL_NOT_FOUND),
  413: error(
    'Body over the size limit, or image over the pixel limit',
    { error: 'payload_too_large', detail: 'the request body is over the 20 MiB limit' },
    {
      error: 'image_too_large',
      detail: 'the image is 10000×8000 = 80,000,000 pixels; the limit is 40,000,000',
      field: 'image',
    },
  ),
  415: error('Unsupported image format or Content-Type', {
    error: 'unsupported_media_type',
    detail: 'GIF images are not supported; send PNG, JPEG or WebP',
    field: 'image',
  }),
  422: error('A missing or mistyped field, named in `field`', {
    error: 'validation_error',
    detail: 'confidence: Too big: expected number to be <=1',
    field: 'confidence',
  }),
  503: error(
    'Not ready yet, shutting down, or the queue is full (see Retry-After); or this model failed to load',
    NOT_READY,
    { error: 'queue_full', detail: 'the server is busy (10 requests in progress); retry shortly' },
    {
      error: 'model_failed',
      detail:
        'model "yolo11n" failed to load: models/yolo11n/yolo11n.onnx is empty (0 bytes): the export or the copy did not finish. Export the model again',
    },
  ),
  504: error('Not done within REQUEST_TIMEOUT; its work was stopped', {
    error: 'deadline_exceeded',
    detail: 'the request took longer than the 30 s limit (REQUEST_TIMEOUT)',
  }),
} as const;

export const notReadyError = { 503: error('Models still loading (see Retry-After)', NOT_READY) } as const;
export const notFoundError = {
  404: error('Unknown model; the detail lists the available ones', MODEL_NOT_FOUND),
} as const;
