// The subset of onnx.proto (github.com/onnx/onnx, Apache-2.0) that modelship reads and writes: field numbers
// match the original, so the bytes are ordinary ONNX. The server appends nodes to a loaded model
// (tasks/ocr/ctc-graph.ts); the tests build small models with it (test/helpers/onnx-builder.ts).
import protobuf from 'protobufjs';

const ONNX_SUBSET = `
syntax = "proto3";
package onnx;
message AttributeProto {
  string name = 1;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  int32 type = 20;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; }
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  repeated AttributeProto attribute = 5;
}
message ModelProto {
  int64 ir_version = 1;
  string producer_name = 2;
  GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}
message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message TensorProto {
  repeated int64 dims = 1;
  int32 data_type = 2;
  repeated float float_data = 4;
  repeated int64 int64_data = 7;
  string name = 8;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
`;

const root = protobuf.parse(ONNX_SUBSET, { keepCase: true }).root;

/** The ONNX message types of the subset, by their onnx.proto names. */
export const onnx = {
  ModelProto: root.lookupType('onnx.ModelProto'),
  GraphProto: root.lookupType('onnx.GraphProto'),
  NodeProto: root.lookupType('onnx.NodeProto'),
  ValueInfoProto: root.lookupType('onnx.ValueInfoProto'),
  OperatorSetIdProto: root.lookupType('onnx.OperatorSetIdProto'),
};

/** ONNX TensorProto.DataType codes used here. */
export const ELEM = { float: 1, int64: 7 } as const;
/** ONNX AttributeProto.AttributeType codes used here. */
export const ATTR = { int: 2, tensor: 4, ints: 7 } as const;

/** ModelProto and GraphProto field numbers this code looks for. */
export const FIELD = { model: { graph: 7, opsetImport: 8 }, graph: { node: 1, output: 12 } } as const;
