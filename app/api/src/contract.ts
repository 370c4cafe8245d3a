// The API's public contract, declared once: the JSON its routes answer, as zod schemas (they validate and
// they write the OpenAPI document), with the TypeScript types inferred from them. The API's routes, tasks and
// v2 use these; the web page imports the types as `@modelship/api/contract` (package.json "exports") and
// nothing else of the API.
import { z } from '@hono/zod-openapi';

/** Every `error` code an API error body can carry. */
export const ErrorCodeSchema = z
  .enum([
    'invalid_json',
    'invalid_body',
    'validation_error',
    'invalid_image',
    'unsupported_media_type',
    'not_found',
    'method_not_allowed',
    'model_not_found',
    'model_failed',
    'payload_too_large',
    'image_too_large',
    'queue_full',
    'not_ready',
    'deadline_exceeded',
    'internal_error',
    // Answered by the HTTP server itself, before any route (http-server.ts).
    'headers_too_large',
    'request_timeout',
    'invalid_request',
  ])
  .openapi('ErrorCode');
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ErrorSchema = z
  .object({
    error: ErrorCodeSchema,
    detail: z.string().openapi({ description: 'What went wrong and what to do, in plain words' }),
    field: z.string().optional().openapi({ description: 'The request field at fault, when there is one' }),
  })
  .openapi('Error');
export type ErrorBody = z.infer<typeof ErrorSchema>;

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
/** The hands-on's detection shape, kept for its clients; OCR adds `text`, `polygon` and `words`. */
export type Detection = z.infer<typeof DetectionSchema>;

export const RankedClassSchema = z
  .object({ class_id: z.number().int(), class_name: z.string(), confidence: z.number() })
  .openapi('RankedClass');
export type RankedClass = z.infer<typeof RankedClassSchema>;

/** Why a prediction covers part of the image only: the OCR box cap, or the request's deadline. */
export const TruncatedReasonSchema = z.enum(['max_boxes', 'deadline']).openapi('TruncatedReason');
export type TruncatedReason = z.infer<typeof TruncatedReasonSchema>;

export const PredictResponseSchema = z
  .object({
    model: z.string().openapi({ example: 'ocr' }),
    time: z.number().openapi({ description: 'Server time for the request, seconds', example: 0.123 }),
    detections: z.array(DetectionSchema),
    classes: z.array(RankedClassSchema).optional(),
    timings: z
      .record(z.string(), z.number())
      .openapi({ description: 'Seconds per stage: decode, preprocess, detection, recognition, postprocess' }),
    truncated: z.literal(true).optional().openapi({
      description: 'Present when the work was cut short: the detections cover part of the image only',
    }),
    truncated_reason: TruncatedReasonSchema.optional().openapi({
      description: 'max_boxes: more text boxes than OCR_MAX_BOXES; deadline: REQUEST_TIMEOUT was near',
    }),
  })
  .openapi('PredictResponse');
export type PredictResponse = z.infer<typeof PredictResponseSchema>;

/** Tensor metadata as the Open Inference Protocol (v2) reports it; /v1 reports the same. */
export const TensorSpecSchema = z
  .object({ name: z.string(), datatype: z.string(), shape: z.array(z.number().int()) })
  .openapi('TensorSpec');
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

/** Dynamic batching in use: requests gathered for up to maxBatchDelayMs, at most maxBatchSize per run. */
export const BatchPolicySchema = z
  .object({ maxBatchSize: z.number().int(), maxBatchDelayMs: z.number() })
  .openapi('BatchPolicy');
export type BatchPolicy = z.infer<typeof BatchPolicySchema>;

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
    batching: BatchPolicySchema.optional().openapi({
      description: 'Present when concurrent requests are stacked into one network run',
    }),
  })
  .openapi('ModelInfo');
/** Metadata for /v1/models/{name} and /v2/models/{name}. */
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

/** A model whose manifest was valid but whose files could not be loaded; the other models still serve. */
export const FailedModelSchema = z
  .object({
    name: z.string(),
    task: z.string(),
    status: z.literal('failed'),
    reason: z.string().openapi({
      description: 'What failed, naming the file, and what to check',
      example:
        'cannot load models/yolo11n/yolo11n.onnx: the file is empty. Check that the export finished, and export it again',
    }),
  })
  .openapi('FailedModel');
export type FailedModel = z.infer<typeof FailedModelSchema>;

/** A model that serves, as /v1/models lists it: its metadata and `status: "ready"`. */
export const ServedModelSchema = ModelInfoSchema.extend({ status: z.literal('ready') }).openapi(
  'ServedModel',
);

/** One entry of GET /v1/models: a served model (`status: "ready"`), or one that failed to load (`"failed"`). */
export const ModelEntrySchema = z.union([ServedModelSchema, FailedModelSchema]);
export type ModelEntry = z.infer<typeof ModelEntrySchema>;

export const HealthResponseSchema = z
  .object({
    status: z.literal('ok'),
    version: z.string().openapi({ example: '0.1.0' }),
    models: z.array(z.string()).openapi({ example: ['ocr'], description: 'Every model in models/' }),
    ready: z.boolean().openapi({ description: 'What /ready answers: true once loading is over' }),
    failed: z.array(z.string()).openapi({
      example: [],
      description: 'Models whose files failed to load (the others serve): see /v1/models for the reason',
    }),
  })
  .openapi('Health');
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

export const ReadyResponseSchema = z.object({ status: z.literal('ready') }).openapi('Ready');
export type ReadyResponse = z.infer<typeof ReadyResponseSchema>;
