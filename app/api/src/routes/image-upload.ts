// Guards for the routes that take an image upload, run before hono's form validator parses the body: a
// urlencoded form of millions of fields, or a multipart body of 100k parts, was parsed synchronously on the
// event loop (10 s, /health frozen meanwhile) only to be refused afterwards.
import type { MiddlewareHandler } from 'hono';
import { ApiError, HOW_TO_SEND_IMAGE } from '../errors.js';
import type { AppEnv } from './router.js';

/** Parts a multipart upload may have: the `image` file and a few fields a client adds (none are read). */
export const MAX_MULTIPART_PARTS = 16;

export const isMultipart = (contentType: string) => /^multipart\/form-data/i.test(contentType);
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

/**
 * Counts the parts of a multipart body (a native byte search per delimiter, stopping past the cap) and refuses
 * more than MAX_MULTIPART_PARTS before the form parser sees them. The body read here is cached for the parser.
 */
export const multipartPartLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const contentType = c.req.header('content-type') ?? '';
  const boundary = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  if (isMultipart(contentType) && boundary) {
    const body = Buffer.from(await c.req.arrayBuffer());
    const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
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
  }
  await next();
};
