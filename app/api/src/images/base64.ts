import { ApiError } from '../errors.js';

// Standard or URL-safe alphabet, optional padding. Node's decoder silently skips invalid characters,
// so the text is checked first: a typo must be a 400, not a garbled image.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const DATA_URL = /^data:([^,]*?),/i;

/** Decodes base64 image data, accepting a `data:image/...;base64,` prefix as browsers produce. */
export function decodeBase64Image(text: string, field = 'image'): Buffer {
  let payload = text;
  const dataUrl = DATA_URL.exec(text);
  if (dataUrl) {
    if (!/;base64$/i.test(dataUrl[1] ?? '')) {
      throw new ApiError(400, 'invalid_image', 'data: URLs must be base64-encoded (";base64,")', { field });
    }
    payload = text.slice(dataUrl[0].length);
  }
  // Line breaks (MIME-style wrapping) are dropped; most payloads have none, and skip that pass over them.
  const clean = BASE64.test(payload);
  if (!clean) payload = payload.replace(/\s+/g, '');
  if (payload.length === 0) throw new ApiError(400, 'invalid_image', 'the image is empty', { field });
  if (!(clean || BASE64.test(payload)) || payload.length % 4 === 1) {
    throw new ApiError(400, 'invalid_image', 'the image is not valid base64', { field });
  }
  return Buffer.from(payload, 'base64');
}
