// Open Inference Protocol datatypes and their onnxruntime counterparts.

interface Datatype {
  /** onnxruntime's type name. */
  ort: string;
  /** Bytes per element in the binary extension; 0 for BYTES (length-prefixed elements). */
  size: number;
  /** The typed array onnxruntime uses, for numeric types. */
  array?: Float32ArrayConstructor | Float64ArrayConstructor | IntArray | BigIntArray;
  /** Inclusive integer range, for the integer types that fit a JS number. */
  range?: [number, number];
}

type IntArray =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor;
type BigIntArray = BigInt64ArrayConstructor | BigUint64ArrayConstructor;

/** What this server accepts; FP16 (no JS float16 array on Node 20) is refused with a clear message. */
export const DATATYPE_NAMES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP32',
  'FP64',
  'BYTES',
] as const;
export type DatatypeName = (typeof DATATYPE_NAMES)[number];

export const DATATYPES: Readonly<Record<DatatypeName, Datatype>> = {
  BOOL: { ort: 'bool', size: 1 },
  UINT8: { ort: 'uint8', size: 1, array: Uint8Array, range: [0, 255] },
  UINT16: { ort: 'uint16', size: 2, array: Uint16Array, range: [0, 65535] },
  UINT32: { ort: 'uint32', size: 4, array: Uint32Array, range: [0, 4294967295] },
  UINT64: { ort: 'uint64', size: 8, array: BigUint64Array },
  INT8: { ort: 'int8', size: 1, array: Int8Array, range: [-128, 127] },
  INT16: { ort: 'int16', size: 2, array: Int16Array, range: [-32768, 32767] },
  INT32: { ort: 'int32', size: 4, array: Int32Array, range: [-2147483648, 2147483647] },
  INT64: { ort: 'int64', size: 8, array: BigInt64Array },
  FP32: { ort: 'float32', size: 4, array: Float32Array },
  FP64: { ort: 'float64', size: 8, array: Float64Array },
  BYTES: { ort: 'string', size: 0 },
};

const FROM_ORT: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(DATATYPES).map(([name, d]) => [d.ort, name])),
  float16: 'FP16',
};

/** onnxruntime type name -> v2 datatype, e.g. 'float32' -> 'FP32'. */
export function v2Datatype(ortType: string): string {
  return FROM_ORT[ortType] ?? ortType.toUpperCase();
}

export function isDatatype(name: string): name is DatatypeName {
  return Object.hasOwn(DATATYPES, name);
}
