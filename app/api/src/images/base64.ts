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
  const decoded = decodedIfClean(payload);
  if (decoded) return decoded;
  // Line breaks (MIME-style wrapping) are dropped; most payloads have none, and skip that pass over them.
  const clean = BASE64.test(payload);
  if (!clean) payload = payload.replace(/\s+/g, '');
  if (payload.length === 0) throw new ApiError(400, 'invalid_image', 'the image is empty', { field });
  if (!(clean || BASE64.test(payload)) || payload.length % 4 === 1) {
    throw new ApiError(400, 'invalid_image', 'the image is not valid base64', { field });
  }
  return Buffer.from(payload, 'base64');
}

/**
 * The bytes of `text` when it is clean base64 of a possible length, else undefined (the checks above then say
 * what is wrong). Decoding first and checking the byte count is one pass instead of a regular expression and a
 * decode: Node's decoder skips or stops at anything outside the alphabet, so any such character leaves the
 * result short of the 3 bytes per 4 characters the text's length promises.
 */
function decodedIfClean(text: string): Buffer | undefined {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const data = text.length - padding;
  if (data === 0 || data % 4 === 1 || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === Math.floor((data * 3) / 4) ? bytes : undefined;
}
