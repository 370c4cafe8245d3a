// One error type for every failure a client can cause or see, rendered as `{error, detail, field?}` JSON.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { ErrorBody, ErrorCode } from './contract.js';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    readonly detail: string,
    readonly options: { field?: string; retryAfter?: number } = {},
  ) {
    super(detail);
  }

  toBody(): ErrorBody {
    return {
      error: this.code,
      detail: this.detail,
      ...(this.options.field ? { field: this.options.field } : {}),
    };
  }
}

/** A 400 naming the field at fault: for a request the schema lets through but the protocol refuses. */
export const badRequest = (detail: string, field?: string) =>
  new ApiError(400, 'validation_error', detail, field ? { field } : {});

export const notReady = () =>
  new ApiError(503, 'not_ready', 'the models are still loading; retry shortly', { retryAfter: 1 });

/** How to send an image to /v1/models/<name>/predict: the one text every error about it quotes. */
export const HOW_TO_SEND_IMAGE =
  "with curl, use -F image=@photo.png (one image per request), or send the raw bytes with -H 'Content-Type: image/png' (or image/jpeg, image/webp)";

/** What the prediction routes take, for a 415's detail. */
const ACCEPTED_BODIES = `POST /predict takes application/json; /v1/models/<name>/predict takes an image: ${HOW_TO_SEND_IMAGE}; see /docs`;

/**
 * Turns anything thrown in a handler into the JSON error; unexpected errors become a bare 500 (the
 * caller logs them). `contentType` is the request's, for a useful 415 detail.
 */
export function toApiError(error: unknown, contentType?: string): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const message = error.message;
    if (status === 413) return new ApiError(413, 'payload_too_large', message || 'request body too large');
    if (status === 415) {
      const sent = contentType ? `Content-Type "${contentType}"` : 'a body without Content-Type';
      return new ApiError(415, 'unsupported_media_type', `${sent} is not accepted here: ${ACCEPTED_BODIES}`, {
        field: 'content-type',
      });
    }
    if (status === 400) {
      return /json/i.test(message)
        ? new ApiError(400, 'invalid_json', message)
        : // The body as a whole is at fault (hono's "Malformed FormData request."): name it, as validation does.
          new ApiError(400, 'invalid_body', message || 'malformed request body', { field: 'body' });
    }
    return new ApiError(status, status === 404 ? 'not_found' : 'validation_error', message || 'bad request');
  }
  return new ApiError(500, 'internal_error', 'internal error');
}

/** The error as a JSON response; `body` shapes it where a protocol prescribes its own (v2). */
export function errorResponse(
  c: Context,
  error: ApiError,
  body: (error: ApiError) => object = (e) => e.toBody(),
): Response {
  if (error.options.retryAfter !== undefined) c.header('Retry-After', String(error.options.retryAfter));
  return c.json(body(error), error.status);
}

/** The zod-openapi validation hook: the first bad field is named in `field`, all of them in `detail`. */
export function validationError(error: z.ZodError, target: string): ApiError {
  // An issue about the whole body (e.g. `null` sent as JSON) names the body rather than hono's target name.
  const whole = target === 'json' || target === 'form' ? 'body' : target;
  const issues = error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : whole;
    return { field, message: `${field}: ${issue.message}` };
  });
  return new ApiError(422, 'validation_error', issues.map((i) => i.message).join('; '), {
    field: issues[0]?.field ?? whole,
  });
}

/**
 * A whole error message on one line: onnxruntime puts what explains a failed run on the lines after the first
 * ("Got invalid dimensions for input: input for the following indices / index: 1 Got: 3 Expected: 224").
 */
export function oneLine(error: unknown): string {
  const text = String((error as Error)?.message ?? error)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' / ');
  return text || 'unknown error';
}

/** The first line of an error message: native libraries (sharp, onnxruntime) add multi-line dumps. */
export function firstLine(error: unknown): string {
  // libvips ends some messages with a colon before the details on the next line ("corrupt header:").
  const line = (String((error as Error)?.message ?? error).split('\n')[0] ?? '').trim().replace(/:$/, '');
  return line || 'unknown error';
}
