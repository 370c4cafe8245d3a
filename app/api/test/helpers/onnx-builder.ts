// Builds small ONNX models in memory, so tests run real onnxruntime sessions without downloading weights.
// The schema is src/ort/onnx-proto.ts, the subset of onnx.proto the server itself reads and writes.
import { ATTR, ELEM, onnx } from '../../src/ort/onnx-proto.js';

const { ModelProto } = onnx;

export type Dim = number | string;

export interface ValueInfo {
  name: string;
  type?: keyof typeof ELEM;
  /** Numbers are fixed sizes, strings are symbolic (dynamic) dimensions such as 'batch'. */
  shape: Dim[];
}

export interface Initializer {
  name: string;
  dims: number[];
  /** float32 values, or int64 values when `type` is 'int64'. */
  values: ArrayLike<number>;
  type?: keyof typeof ELEM;
}

/** Integers become INT attributes, integer arrays INTS. */
export type AttributeValue = number | number[];

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttributeValue>;
}

export interface GraphSpec {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: NodeSpec[];
  initializers?: Initializer[];
  opset?: number;
}

function tensorProto(t: Omit<Initializer, 'name'> & { name?: string }) {
  const type = t.type ?? 'float';
  const values = Array.from(t.values);
  const expected = t.dims.reduce((a, b) => a * b, 1);
  if (values.length !== expected) {
    throw new Error(`tensor ${t.name ?? ''} has ${values.length} values for dims [${t.dims}]`);
  }
  return {
    name: t.name ?? '',
    dims: t.dims,
    data_type: ELEM[type],
    ...(type === 'float' ? { float_data: values } : { int64_data: values }),
  };
}

function valueInfo(v: ValueInfo) {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: ELEM[v.type ?? 'float'],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue) {
  return typeof value === 'number'
    ? { name, type: ATTR.int, i: value }
    : { name, type: ATTR.ints, ints: value };
}

/** Serialises a graph to ONNX model bytes (IR version 8, default-domain opset 13 unless given). */
export function buildOnnxModel(spec: GraphSpec): Uint8Array {
  const model = {
    ir_version: 8,
    producer_name: 'modelship-tests',
    opset_import: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'test-graph',
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: (spec.initializers ?? []).map(tensorProto),
      node: spec.nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        op_type: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
    },
  };
  const message = ModelProto.fromObject(model);
  return ModelProto.encode(message).finish();
}

/**
 * A detector-shaped model whose output is a fixed tensor, repeated along a dynamic batch dimension:
 * `images [batch,3,H,W]` -> `output0 [batch, ...perImage.dims]`. The input only feeds the batch size
 * (its mean times zero is added), so the output is exactly `perImage` for every image.
 */
export function constantOutputModel(options: {
  inputSize: { width: number; height: number };
  output: { dims: number[]; values: ArrayLike<number> };
  inputName?: string;
  outputName?: string;
}): Uint8Array {
  const inputName = options.inputName ?? 'images';
  const outputName = options.outputName ?? 'output0';
  const { width, height } = options.inputSize;
  const rank = options.output.dims.length;
  return buildOnnxModel({
    inputs: [{ name: inputName, shape: ['batch', 3, height, width] }],
    outputs: [{ name: outputName, shape: ['batch', ...options.output.dims] }],
    initializers: [
      { name: 'fixed', dims: [1, ...options.output.dims], values: options.output.values },
      { name: 'zero', dims: [], values: [0] },
      // [-1, 1, 1, ...]: one leading batch dim, then ones to broadcast against `fixed`.
      { name: 'batch_shape', dims: [rank + 1], values: [-1, ...Array(rank).fill(1)], type: 'int64' },
    ],
    nodes: [
      { op: 'ReduceMean', inputs: [inputName], outputs: ['mean'], attrs: { axes: [1, 2, 3], keepdims: 1 } },
      { op: 'Reshape', inputs: ['mean', 'batch_shape'], outputs: ['per_batch'] },
      { op: 'Mul', inputs: ['per_batch', 'zero'], outputs: ['zeros'] },
      { op: 'Add', inputs: ['zeros', 'fixed'], outputs: [outputName] },
    ],
  });
}

/**
 * A classifier with known weights: `input [batch,3,H,W]` -> GlobalAveragePool -> Flatten -> Gemm(W, b)
 * -> `logits [batch, K]`. So logits = mean-per-channel · W + b, computable by hand in the tests.
 */
export function linearClassifierModel(options: {
  inputSize: { width: number; height: number };
  /** 3 rows (R, G, B) of K weights each. */
  weights: [number[], number[], number[]];
  bias: number[];
  inputName?: string;
  outputName?: string;
}): Uint8Array {
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'logits';
  const k = options.bias.length;
  return buildOnnxModel({
    inputs: [{ name: inputName, shape: ['batch', 3, options.inputSize.height, options.inputSize.width] }],
    outputs: [{ name: outputName, shape: ['batch', k] }],
    initializers: [
      { name: 'W', dims: [3, k], values: options.weights.flat() },
      { name: 'b', dims: [k], values: options.bias },
    ],
    nodes: [
      { op: 'GlobalAveragePool', inputs: [inputName], outputs: ['pooled'] },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['flat', 'W', 'b'], outputs: [outputName] },
    ],
  });
}

/**
 * Like constantOutputModel, but each image's output is the fixed tensor times the mean of that image's input
 * pixels: `output0[b] = perImage × mean(images[b])`. Different images give different outputs, so tests can
 * tell the items of a batch apart.
 */
export function inputScaledOutputModel(options: {
  inputSize: { width: number; height: number };
  output: { dims: number[]; values: ArrayLike<number> };
}): Uint8Array {
  const { width, height } = options.inputSize;
  const rank = options.output.dims.length;
  return buildOnnxModel({
    inputs: [{ name: 'images', shape: ['batch', 3, height, width] }],
    outputs: [{ name: 'output0', shape: ['batch', ...options.output.dims] }],
    initializers: [
      { name: 'fixed', dims: [1, ...options.output.dims], values: options.output.values },
      { name: 'batch_shape', dims: [rank + 1], values: [-1, ...Array(rank).fill(1)], type: 'int64' },
    ],
    nodes: [
      { op: 'ReduceMean', inputs: ['images'], outputs: ['mean'], attrs: { axes: [1, 2, 3], keepdims: 1 } },
      { op: 'Reshape', inputs: ['mean', 'batch_shape'], outputs: ['per_batch'] },
      { op: 'Mul', inputs: ['per_batch', 'fixed'], outputs: ['output0'] },
    ],
  });
}
