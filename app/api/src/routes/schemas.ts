// Response and shared request schemas, declared once for validation and for the OpenAPI document.
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.string().openapi({ example: 'model_not_found' }),
    detail: z.string().openapi({ example: 'unknown model "yolo"; available: ocr' }),
    field: z.string().optional().openapi({ example: 'model' }),
  })
  .openapi('Error');

export const DetectionSchema = z
  .object({
    x_min: z.number().int(),
    y_min: z.number().int(),
    x_max: z.number().int(),
    y_max: z.number().int(),
    class_name: z.string().openapi({ example: 'text' }),
    confidence: z.number().min(0).max(1),
    class_id: z.number().int().optional(),
    text: z.string().optional().openapi({ description: 'OCR: the recognised text', example: 'Hello world' }),
    polygon: z
      .array(z.tuple([z.number(), z.number()]))
      .optional()
      .openapi({ description: 'OCR: 4 points, clockwise from top-left, original-image pixels' }),
    words: z
      .array(z.array(z.tuple([z.number(), z.number()])))
      .optional()
      .openapi({
        description:
          'OCR: the word boxes (4 points each) that were read together as this line; absent when the line is one box',
      }),
  })
  .openapi('Detection');

export const RankedClassSchema = z
  .object({ class_id: z.number().int(), class_name: z.string(), confidence: z.number() })
  .openapi('RankedClass');

export const PredictResponseSchema = z
  .object({
    model: z.string().openapi({ example: 'ocr' }),
    time: z.number().openapi({ description: 'Server time for the request, seconds', example: 0.123 }),
    detections: z.array(DetectionSchema),
    classes: z.array(RankedClassSchema).optional(),
    timings: z
      .record(z.string(), z.number())
      .openapi({ description: 'Seconds per stage: decode, preprocess, detection, recognition, postprocess' }),
  })
  .openapi('PredictResponse');

export const TensorSpecSchema = z
  .object({ name: z.string(), datatype: z.string(), shape: z.array(z.number().int()) })
  .openapi('TensorSpec');

export const ModelInfoSchema = z
  .object({
    name: z.string(),
    task: z.string(),
    version: z.string(),
    description: z.string().optional(),
    inputs: z.array(TensorSpecSchema),
    outputs: z.array(TensorSpecSchema),
    labels: z.array(z.string()).optional(),
    provider: z.string().openapi({ description: 'Execution provider in use', example: 'cpu' }),
    rawTensors: z.boolean().optional().openapi({
      description: 'v2 clients send the network tensors themselves (otherwise one BYTES image input)',
    }),
  })
  .openapi('ModelInfo');

export const ModelNameParam = z.object({
  name: z
    .string()
    .min(1)
    .openapi({ param: { name: 'name', in: 'path' }, example: 'ocr' }),
});

export const confidenceSchema = z.number().min(0).max(1);

const error = (description: string) => ({
  content: { 'application/json': { schema: ErrorSchema } },
  description,
});

/** What every predict route answers: the detections, or one of these errors. */
export const predictResponses = {
  200: { description: 'Detections', content: { 'application/json': { schema: PredictResponseSchema } } },
  400: error('Malformed JSON, invalid base64, not an image or a truncated image'),
  404: error('Unknown model; the detail lists the available ones'),
  413: error('Body over the size limit, or image over the pixel limit'),
  415: error('Unsupported image format or Content-Type'),
  422: error('A missing or mistyped field, named in `field`'),
  503: error('Not ready yet, shutting down, or the queue is full (see Retry-After)'),
} as const;

export const notReadyError = { 503: error('Models still loading (see Retry-After)') } as const;
export const notFoundError = { 404: error('Unknown model; the detail lists the available ones') } as const;
