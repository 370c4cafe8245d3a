// Open Inference Protocol tensors <-> the plain tensors the worker pool runs. JSON `data` may be flat or
// nested (row-major either way); binary data (the binary tensor extension) is little-endian, and BYTES
// elements are each prefixed with their length as a 4-byte little-endian integer.
import { ApiError, badRequest } from '../errors.js';
import type { TensorData } from '../pool/protocol.js';
import { DATATYPE_NAMES, DATATYPES, type DatatypeName, isDatatype, v2Datatype } from './datatypes.js';

export interface RequestTensor {
  name: string;
  datatype: string;
  shape: number[];
  data?: unknown;
  parameters?: Record<string, unknown>;
}

/** An output tensor before encoding: `data` is a typed array from the worker, or plain values. */
export interface OutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: ArrayLike<number | bigint | string | boolean>;
}

/** An output tensor in the JSON response. */
export interface ResponseTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: (number | string | boolean)[];
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Checks the datatype name, with the list of valid ones in the message. */
export function checkDatatype(tensor: RequestTensor, field: string): DatatypeName {
  if (isDatatype(tensor.datatype)) return tensor.datatype;
  const hint = tensor.datatype === 'FP16' ? ' (FP16 is not supported here; send FP32)' : '';
  throw badRequest(
    `input "${tensor.name}": unknown datatype "${tensor.datatype}"${hint}; expected one of ${DATATYPE_NAMES.join(', ')}`,
    `${field}.datatype`,
  );
}

/** A request tensor as an onnxruntime-ready tensor; `binary` is its chunk of a binary request, if any. */
export function decodeTensor(tensor: RequestTensor, field: string, binary?: Uint8Array): TensorData {
  const datatype = checkDatatype(tensor, field);
  const count = elementCount(tensor.shape);
  const data = binary
    ? fromBinary(tensor, datatype, count, binary, field)
    : fromJson(tensor, datatype, count, field);
  return { type: DATATYPES[datatype].ort, dims: [...tensor.shape], data };
}

/**
 * JSON `data` in row-major order: flat, or nested at most as deep as the shape has dimensions (deeper nesting
 * is a client error, and flattening it without bound overflowed the stack).
 */
export function flatData(tensor: RequestTensor, field: string): unknown[] {
  if (!Array.isArray(tensor.data)) {
    throw badRequest(
      `${field}.data: input "${tensor.name}": "data" must be an array (flat or nested, row-major)`,
      `${field}.data`,
    );
  }
  const values: unknown[] = tensor.data.flat(Math.max(tensor.shape.length - 1, 0));
  if (values.some(Array.isArray)) {
    throw badRequest(
      `${field}.data: input "${tensor.name}": "data" is nested deeper than its shape [${tensor.shape}] has dimensions`,
      `${field}.data`,
    );
  }
  return values;
}

function fromJson(tensor: RequestTensor, datatype: DatatypeName, count: number, field: string) {
  const values = flatData(tensor, field);
  if (values.length !== count) {
    throw badRequest(
      `input "${tensor.name}": shape [${tensor.shape}] holds ${count} elements but "data" has ${values.length}`,
      `${field}.data`,
    );
  }
  const wrong = (i: number, expected: string) =>
    badRequest(
      `${field}.data.${i}: input "${tensor.name}": element ${i} is ${describe(values[i])}, expected ${expected}`,
      `${field}.data.${i}`,
    );
  const spec = DATATYPES[datatype];
  if (datatype === 'BYTES') {
    values.forEach((v, i) => {
      if (typeof v !== 'string') throw wrong(i, 'a string');
    });
    return values as string[];
  }
  if (datatype === 'BOOL') {
    return Uint8Array.from(values, (v, i) => {
      if (typeof v !== 'boolean') throw wrong(i, 'true or false');
      return v ? 1 : 0;
    });
  }
  if (datatype === 'INT64' || datatype === 'UINT64') {
    const min = datatype === 'UINT64' ? 0 : Number.MIN_SAFE_INTEGER;
    const bigints = values.map((v, i) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
        throw wrong(i, `an integer (${datatype})`);
      return BigInt(v);
    });
    return datatype === 'INT64' ? BigInt64Array.from(bigints) : BigUint64Array.from(bigints);
  }
  const { range } = spec;
  const numbers = values.map((v, i) => {
    if (typeof v !== 'number') throw wrong(i, `a number (${datatype})`);
    if (range && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
      throw wrong(i, `an integer in [${range[0]}, ${range[1]}] (${datatype})`);
    }
    // JSON.parse gives Infinity for 1e400; 1e39 is finite but overflows FP32: either would run as Infinity.
    if (!Number.isFinite(datatype === 'FP32' ? Math.fround(v) : v)) {
      throw wrong(
        i,
        `a finite number (${datatype}: magnitude at most ${FLOAT_MAX[datatype] ?? Number.MAX_VALUE})`,
      );
    }
    return v;
  });
  return (spec.array as Float32ArrayConstructor).from(numbers);
}

/** The largest finite FP32 (FP64's is Number.MAX_VALUE). */
const FLOAT_MAX: Partial<Record<DatatypeName, number>> = { FP32: 3.4028234663852886e38 };

/** A JSON value as a message shows it: JSON.stringify writes Infinity (from 1e400) as `null`. */
function describe(value: unknown): string {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
}

function fromBinary(
  tensor: RequestTensor,
  datatype: DatatypeName,
  count: number,
  bytes: Uint8Array,
  field: string,
) {
  const spec = DATATYPES[datatype];
  if (datatype === 'BYTES')
    return splitBytesElements(bytes, count, tensor.name, field).map((b) => b.toString('utf8'));
  if (bytes.length !== count * spec.size) {
    throw badRequest(
      `input "${tensor.name}": shape [${tensor.shape}] of ${datatype} needs ${count * spec.size} bytes, got ${bytes.length}`,
      `${field}.parameters.binary_data_size`,
    );
  }
  // Copied so the typed array is aligned and owns its memory.
  const buffer = bytes.slice().buffer;
  return datatype === 'BOOL' ? new Uint8Array(buffer) : new (spec.array as Float32ArrayConstructor)(buffer);
}

/** BYTES binary data: each element is a 4-byte little-endian length followed by that many bytes. */
export function splitBytesElements(bytes: Uint8Array, count: number, name: string, field: string): Buffer[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (problem: string) =>
    badRequest(
      `input "${name}": ${problem} (BYTES binary data is ${count} element(s), each a 4-byte little-endian ` +
        'length followed by that many bytes)',
      `${field}.parameters.binary_data_size`,
    );
  const elements: Buffer[] = [];
  let at = 0;
  while (at < buf.length && elements.length < count) {
    const k = elements.length;
    const left = buf.length - at - 4;
    if (left < 0) throw bad(`element ${k} has ${buf.length - at} byte(s), too few for its length prefix`);
    const length = buf.readUInt32LE(at);
    // The last element must end where binary_data_size does: a shorter length would leave bytes unread.
    if (length > left || (k === count - 1 && length !== left)) {
      throw bad(
        `element ${k}'s length prefix is ${length}, but binary_data_size leaves ${left} bytes after it`,
      );
    }
    elements.push(buf.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (elements.length !== count || at !== buf.length) {
    throw bad(
      `binary_data_size (${buf.length} bytes) holds ${elements.length} element(s) for a shape of ${count}`,
    );
  }
  return elements;
}

export function fromWorker(name: string, tensor: TensorData): OutputTensor {
  return { name, datatype: v2Datatype(tensor.type), shape: [...tensor.dims], data: tensor.data };
}

/**
 * JSON form: data flattened row-major as plain numbers, strings or booleans. JSON has no NaN or Infinity (the
 * protocol defines no encoding for them and JSON.stringify would write `null`): a float output holding one is
 * a 500 naming it, and the binary form, which carries IEEE-754 values as they are, is the way to get it.
 */
export function toJson(tensor: OutputTensor): ResponseTensor {
  const values = Array.from(tensor.data);
  if (tensor.datatype === 'FP32' || tensor.datatype === 'FP64') {
    const at = values.findIndex((v) => !Number.isFinite(v));
    if (at !== -1) {
      throw new ApiError(
        500,
        'internal_error',
        `output "${tensor.name}": element ${at} is ${values[at]}, which JSON cannot carry; ask for this output ` +
          `in binary (outputs: [{"name": "${tensor.name}", "parameters": {"binary_data": true}}]) to get its IEEE-754 values`,
      );
    }
  }
  let data: (number | string | boolean)[];
  if (tensor.datatype === 'BOOL') data = values.map((v) => Boolean(v));
  else if (tensor.datatype === 'INT64' || tensor.datatype === 'UINT64') data = values.map(Number);
  else data = values as (number | string)[];
  return { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, data };
}

/** Binary form (binary tensor extension): little-endian values; BYTES elements length-prefixed. */
export function toBytes(tensor: OutputTensor): Uint8Array {
  if (tensor.datatype === 'BYTES') {
    return Buffer.concat(
      Array.from(tensor.data, (v) => {
        const bytes = Buffer.from(String(v), 'utf8');
        const length = Buffer.alloc(4);
        length.writeUInt32LE(bytes.length);
        return Buffer.concat([length, bytes]);
      }),
    );
  }
  if (tensor.datatype === 'BOOL')
    return Uint8Array.from(tensor.data as ArrayLike<unknown>, (v) => (v ? 1 : 0));
  const array = isDatatype(tensor.datatype) ? DATATYPES[tensor.datatype].array : undefined;
  if (!array) throw new Error(`cannot send ${tensor.datatype} as binary`);
  const typed =
    tensor.data instanceof array
      ? tensor.data
      : (array as Float32ArrayConstructor).from(tensor.data as ArrayLike<number>);
  const view = typed as Float32Array;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
