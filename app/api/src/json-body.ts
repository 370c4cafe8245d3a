// JSON request bodies: V8's JSON.parse is iterative, so a body of millions of nested brackets does not overflow
// the stack: it blocks the event loop for tens of seconds instead (10 MB of `[[[[...` takes ~18 s), and the
// deep value then overflows whatever walks it. A linear byte scan refuses such a body first, in milliseconds.
import { badRequest } from './errors.js';

/** Deepest nesting of objects and arrays a request may have: a v2 tensor of 8 dimensions in its request is 11. */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Refuses JSON text nested deeper than MAX_JSON_DEPTH (brackets inside strings do not count). */
export function checkJsonDepth(text: string, field = 'body'): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > MAX_JSON_DEPTH) {
        throw badRequest(
          `the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep (at character ${i})`,
          field,
        );
      }
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
}

/** JSON.parse behind the depth check; a syntax error is a 400 naming the body. */
export function parseJson(text: string): unknown {
  checkJsonDepth(text);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`the request is not valid JSON: ${(error as Error).message}`);
  }
}
