// The smallest valid ONNX model (y = Identity(x), one float), encoded by hand so the server can check that an
// execution provider loads without touching any user model. Protobuf wire format: key = field << 3 | type.

function varint(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return bytes;
}

const int = (field: number, value: number) => [...varint(field << 3), ...varint(value)];
const bytes = (field: number, payload: number[]) => [
  ...varint((field << 3) | 2),
  ...varint(payload.length),
  ...payload,
];
const str = (field: number, text: string) => bytes(field, [...Buffer.from(text, 'utf8')]);

// TypeProto { tensor_type { elem_type: FLOAT, shape { dim { dim_value: 1 } } } }
const floatScalarType = bytes(1, [...int(1, 1), ...bytes(2, bytes(1, int(1, 1)))]);
const valueInfo = (name: string) => [...str(1, name), ...bytes(2, floatScalarType)];

const graph = [
  ...bytes(1, [...str(1, 'x'), ...str(2, 'y'), ...str(4, 'Identity')]), // node
  ...str(2, 'probe'), // name
  ...bytes(11, valueInfo('x')), // input
  ...bytes(12, valueInfo('y')), // output
];

/** ModelProto { ir_version: 8, graph, opset_import { domain: "", version: 13 } } */
export const probeModel = new Uint8Array([
  ...int(1, 8),
  ...bytes(7, graph),
  ...bytes(8, [...str(1, ''), ...int(2, 13)]),
]);
