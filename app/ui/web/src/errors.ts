// Plain-words messages for everything that can go wrong between the page and the model.
import type { ErrorBody } from './types.js';

/** An error body as it arrives: the contract's fields, unchecked (the UI's proxy sends its own codes too). */
export type ApiErrorBody = Partial<Record<keyof ErrorBody, unknown>>;

/**
 * Who is looking: the owner runs the servers on this machine (the page is on localhost) and can restart
 * them; a visitor opened a shared URL and can only wait or tell the owner.
 */
export type Audience = 'owner' | 'visitor';

export const audienceOf = (hostname: string): Audience =>
  ['localhost', '127.0.0.1', '[::1]', '::1'].includes(hostname) ? 'owner' : 'visitor';

export interface Problem {
  /** One short sentence for the page. */
  title: string;
  /** What to do about it, or the API's own detail. */
  hint: string;
}

/** Image types the API decodes (PNG, JPEG, WebP); anything else is refused before uploading. */
export const ACCEPTED_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;

/**
 * The accepted image type the first bytes say (PNG, JPEG, WebP signatures), or undefined. For files the browser
 * gives no type: one without an extension ("scan") has an empty type even when it is a PNG.
 */
export function sniffImageType(head: Uint8Array): (typeof ACCEPTED_TYPES)[number] | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head[0] === 0x89 && ascii(1, 4) === 'PNG') return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  return JSON.stringify(value);
}

/** The API could not be reached (the UI proxy's 502/504): the owner can restart it, a visitor can only wait. */
function unreachable(audience: Audience): Problem {
  return {
    title: 'The model server is not reachable.',
    hint:
      audience === 'owner'
        ? 'It may be down or restarting. Start it with `npm start`, or wait a moment and try again.'
        : 'It may be restarting: try again in a minute. If it stays down, tell the person who shared this page.',
  };
}

/** Turns an HTTP error from /api into a message a person can act on. */
export function describeHttpError(
  status: number,
  body: ApiErrorBody | undefined,
  model?: string,
  audience: Audience = 'owner',
): Problem {
  const detail = text(body?.detail) || text(body?.error);
  switch (status) {
    case 504:
      // The API's own 504 (deadline_exceeded) means it is up but took too long; only the UI proxy's own
      // codes (or a gateway's bare 504) mean it could not be reached.
      if (typeof body?.error === 'string' && !['api_timeout', 'api_unreachable'].includes(body.error)) {
        return {
          title: 'The model took too long on this image.',
          hint: detail || 'The server may be busy: try again in a moment, or try a smaller image.',
        };
      }
      return unreachable(audience);
    case 502:
      return unreachable(audience);
    case 503:
      return body?.error === 'queue_full'
        ? { title: 'The model server is busy.', hint: 'Too many images at once. Try again in a few seconds.' }
        : {
            title: 'The model server is not ready yet.',
            hint: 'It is still loading and warming up the model. Try again in a few seconds.',
          };
    case 404:
      return {
        title: model ? `The model “${model}” is unknown to the server.` : 'Not found.',
        hint: detail || 'Pick another model from the list.',
      };
    case 413:
      return {
        title: 'This image is too large.',
        hint: detail || 'Try a smaller photo (under 20 MiB and 40 megapixels).',
      };
    case 415:
      return {
        title: 'This file is not an image the model can read.',
        hint: detail || 'Use a PNG, JPEG or WebP image.',
      };
    case 400:
    case 422:
      return {
        title: 'The server could not read this image.',
        hint: detail || 'Try another PNG, JPEG or WebP file.',
      };
    default:
      return {
        title: `The server answered with an error (HTTP ${status}).`,
        hint: detail || 'Try again; if it keeps failing, look at the server log.',
      };
  }
}

/** A fetch that failed before any answer: the UI server itself is gone (or the network is). */
export function describeNetworkError(audience: Audience = 'owner'): Problem {
  return {
    title: 'The page cannot reach its server.',
    hint:
      audience === 'owner'
        ? 'Check that `npm start` is still running, then reload the page.'
        : 'Check your connection, then reload the page. If it keeps failing, tell the person who shared it.',
  };
}

/** Checks a picked file before uploading it; undefined when it looks like an image the API reads.
 * Size limits are the server's to enforce (they are configurable there), so they are not guessed here. */
export function checkImageFile(file: { name: string; type: string; size: number }): Problem | undefined {
  if (!file.type.startsWith('image/')) {
    return {
      title: `“${file.name}” is not an image.`,
      hint: 'Pick a photo or a screenshot (PNG, JPEG or WebP).',
    };
  }
  if (!(ACCEPTED_TYPES as readonly string[]).includes(file.type)) {
    return {
      title: `“${file.name}” is a ${file.type.slice('image/'.length).toUpperCase()} image, which the model cannot read.`,
      hint: 'Convert it to PNG, JPEG or WebP (on a phone, a screenshot of it works).',
    };
  }
  if (file.size === 0) return { title: `“${file.name}” is empty.`, hint: 'Pick another file.' };
  return undefined;
}
