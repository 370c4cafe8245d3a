// Guards for the routes that take an image upload, run before hono's form validator parses the body: a
// urlencoded form of millions of fields, or a multipart body of 100k parts, was parsed synchronously on the
// event loop (10 s, /health frozen meanwhile) only to be refused afterwards.
import type { MiddlewareHandler } from 'hono';
import { ApiError, HOW_TO_SEND_IMAGE } from '../errors.js';
import { MediaTypeError, parseMediaType } from './media-type.js';
import type { AppEnv } from './router.js';

/** Parts a multipart upload may have: the `image` file and a few fields a client adds (none are read). */
export const MAX_MULTIPART_PARTS = 16;

export const isMultipart = (contentType: string) => /^[\t ]*multipart\/form-data\b/i.test(contentType);
const isImage = (contentType: string) => /^image\//i.test(contentType);

/** Refuses any Content-Type but multipart/form-data and image/*, without reading the body. */
export const imageContentType: MiddlewareHandler<AppEnv> = async (c, next) => {
  const contentType = c.req.header('content-type') ?? '';
  if (!isMultipart(contentType) && !isImage(contentType)) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `Content-Type "${contentType || 'none'}" is not an image upload: ${HOW_TO_SEND_IMAGE}`,
      { field: 'content-type' },
    );
  }
  // The API does not decode content codings: a gzip body would reach the image decoder as "not an image".
  const encoding = c.req.header('content-encoding')?.trim() ?? '';
  if (encoding !== '' && encoding.toLowerCase() !== 'identity') {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `Content-Encoding "${encoding}" is not supported: the API does not decode content codings; send the ` +
        `image bytes as they are (PNG, JPEG and WebP are compressed already): ${HOW_TO_SEND_IMAGE}`,
      { field: 'content-encoding' },
    );
  }
  await next();
};

/** RFC 2046 §5.1.1: 1 to 70 of these characters, the last not a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

const badContentType = (detail: string) =>
  new ApiError(400, 'invalid_body', detail, { field: 'content-type' });

/** The boundary of a multipart/form-data Content-Type; a 400 naming the header when it has none or a bad one. */
export function multipartBoundary(contentType: string): string {
  let boundary: string | undefined;
  try {
    boundary = parseMediaType(contentType).parameters.get('boundary');
  } catch (error) {
    if (error instanceof MediaTypeError) throw badContentType(`Content-Type ${error.message}`);
    throw error;
  }
  if (boundary === undefined) {
    throw badContentType(
      `a multipart/form-data Content-Type needs a boundary parameter: ${HOW_TO_SEND_IMAGE}`,
    );
  }
  if (!BOUNDARY.test(boundary)) {
    throw badContentType(
      `the multipart boundary ${JSON.stringify(boundary)} is not 1 to 70 letters, digits, spaces or '()+_,-./:=? (not ending in a space; RFC 2046)`,
    );
  }
  return boundary;
}

/**
 * Reads a multipart body once: counts its parts (a native byte search per delimiter, stopping past the cap) and
 * refuses more than MAX_MULTIPART_PARTS before any parsing, then parses the form and caches it for the form
 * validator. The Content-Type is parsed by its grammar, so any boundary RFC 2046 allows works (quoted, with
 * spaces, next to other parameters); the validator, which takes only `multipart/form-data; boundary=<token>`,
 * then sees the bare media type, the boundary's work being done.
 */
export const multipartForm: MiddlewareHandler<AppEnv> = async (c, next) => {
  const contentType = c.req.header('content-type') ?? '';
  if (!isMultipart(contentType)) return next();
  const boundary = multipartBoundary(contentType);
  const body = Buffer.from(await c.req.arrayBuffer());
  const delimiter = Buffer.from(`--${boundary}`);
  let parts = -1; // the closing delimiter ends the last part
  for (let at = body.indexOf(delimiter); at !== -1 && parts <= MAX_MULTIPART_PARTS; parts++) {
    at = body.indexOf(delimiter, at + delimiter.length);
  }
  if (parts > MAX_MULTIPART_PARTS) {
    throw new ApiError(
      413,
      'payload_too_large',
      `the form has more than ${MAX_MULTIPART_PARTS} parts; send one 'image' file part: ${HOW_TO_SEND_IMAGE}`,
      { field: 'image' },
    );
  }
  let form: FormData;
  try {
    form = await new Response(body, {
      // quoted, for the spaces; BOUNDARY lets no quote or backslash through
      headers: { 'content-type': `multipart/form-data; boundary="${boundary}"` },
    }).formData();
  } catch (error) {
    throw new ApiError(400, 'invalid_body', `Malformed FormData request. ${(error as Error).message}`);
  }
  c.req.bodyCache.formData = form; // as hono's form validator caches it
  c.req.raw.headers.set('content-type', 'multipart/form-data');
  await next();
};
