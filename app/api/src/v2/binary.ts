// The binary tensor data extension (Triton/KServe): the body is the JSON request, whose length is given by
// the Inference-Header-Content-Length header, followed by the raw data of every input whose parameters
// carry `binary_data_size`, in the order of the inputs. Responses use the same framing for the outputs
// the client asked to get in binary.
import { badRequest } from '../errors.js';
import { parseJson } from '../json-body.js';

export const HEADER_LENGTH = 'inference-header-content-length';

/** Parses the JSON part; the chunks are cut once the inputs are known (see `cutChunks`). */
export function splitBinaryBody(body: Uint8Array, headerLength: string): { json: unknown; rest: Uint8Array } {
  // Decimal digits only: Number() would also take '', '1e2' and '0x10'.
  const length = /^\d{1,15}$/.test(headerLength.trim()) ? Number(headerLength) : Number.NaN;
  if (!(length <= body.length)) {
    throw badRequest(
      `Inference-Header-Content-Length must be a decimal integer between 0 and the body size (${body.length})`,
    );
  }
  return {
    json: parseJson(Buffer.from(body.buffer, body.byteOffset, length).toString('utf8')),
    rest: body.subarray(length),
  };
}

/** Assigns the bytes after the JSON to the inputs that declare `binary_data_size`. */
export function cutChunks(
  inputs: readonly { data?: unknown; parameters?: Record<string, unknown> }[],
  rest: Uint8Array,
): Map<number, Uint8Array> {
  const chunks = new Map<number, Uint8Array>();
  let at = 0;
  inputs.forEach((input, i) => {
    const size = input.parameters?.binary_data_size;
    if (size === undefined) return;
    const field = `inputs.${i}.parameters.binary_data_size`;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0)
      throw badRequest(`${field} must be a whole number`, field);
    // Which of the two would be used is a guess the client should not have to make.
    if (input.data !== undefined)
      throw badRequest(
        `inputs.${i} gives its data twice: inline ("data") and after the JSON (${field}); send one`,
        `inputs.${i}.data`,
      );
    if (at + size > rest.length)
      throw badRequest(`${field}: the body ends before this input's ${size} bytes`, field);
    chunks.set(i, rest.subarray(at, at + size));
    at += size;
  });
  if (at !== rest.length) {
    throw badRequest(
      `the body has ${rest.length - at} bytes after the inputs' binary_data_size total (${at})`,
    );
  }
  return chunks;
}

/** JSON header + binary chunks, and the header's length for Inference-Header-Content-Length. */
export function binaryBody(
  header: unknown,
  chunks: readonly Uint8Array[],
): { body: Uint8Array<ArrayBuffer>; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // One allocation of the final size, typed as a plain ArrayBuffer so it is the response body as is.
  const body = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, json.length));
  body.set(json);
  let at = json.length;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return { body, headerLength: json.length };
}
