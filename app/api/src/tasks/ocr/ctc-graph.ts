// Makes a CTC recogniser return only what greedy decoding reads: at load time, in memory, nodes are appended to
// its graph that take the top 3 classes of each step (TopK) and the space class's probability (Gather) from its
// softmax. onnxruntime then hands JavaScript a few floats per step instead of the whole [batch, steps, classes]
// tensor (PP-OCRv4: 6625 classes, ~15 MB per paragraph), which cost a copy, a scan and a major GC on most
// requests. The model file on disk is not touched.
//
// Protobuf merges a message field that occurs twice, and concatenates the repeated fields inside it, so the new
// nodes and outputs are encoded as a GraphProto of their own, to be written after the model's bytes as a second
// graph field: the 10 MB of weights are neither decoded nor copied.
import { open } from 'node:fs/promises';
import { InferenceSession } from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { firstLine } from '../../errors.js';
import { ATTR, ELEM, FIELD, onnx } from '../../ort/onnx-proto.js';

/** Classes kept per step: the winner, and the best non-blank class other than it even when the blank is second. */
export const CTC_TOP_K = 3;

/** Names of the appended graph outputs. */
export interface CtcTopOutputs {
  /** [batch, steps, CTC_TOP_K] float: the best probabilities of each step, highest first. */
  values: string;
  /** [batch, steps, CTC_TOP_K] int64: their classes (ties: the lower class first, as a scan keeps the first). */
  indices: string;
  /** [batch, steps] float: the space class's probability; absent without a space class. */
  space?: string;
}

const PREFIX = 'modelship_ctc/';

interface Field {
  field: number;
  /** Offset and end of a length-delimited field's payload (of the whole field for other wire types). */
  data: number;
  end: number;
}

/** The top-level fields of one protobuf message, in order. */
function scanFields(bytes: Uint8Array): Field[] {
  const reader = protobuf.Reader.create(bytes);
  const fields: Field[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const wire = tag & 7;
    if (wire === 2) {
      const length = reader.uint32();
      const data = reader.pos;
      reader.skip(length);
      fields.push({ field: tag >>> 3, data, end: reader.pos });
    } else {
      reader.skipType(wire);
      fields.push({ field: tag >>> 3, data: start, end: reader.pos });
    }
  }
  return fields;
}

const toObject = (type: protobuf.Type, bytes: Uint8Array) =>
  type.toObject(type.decode(bytes), { longs: Number, defaults: true }) as Record<string, unknown>;

interface DecodedNode {
  op_type: string;
  output: string[];
  attribute: { name: string; i: number }[];
}

interface DecodedValueInfo {
  name: string;
  type?: { tensor_type?: { elem_type: number; shape?: { dim: Record<string, unknown>[] } } };
}

/** The recogniser's classes as the dictionary gives them (checkClassCount holds the model to it). */
export interface CtcClasses {
  /** Number of classes, blank included. */
  count: number;
  /** Index of the space class, if there is one. */
  space: number | undefined;
}

/**
 * The bytes that, written after the model's, append the top-k and space outputs (see the file comment), and
 * their names. Throws, saying why, when the model's first output is not a [batch, steps, classes] float softmax
 * over its last axis (the reduction reads the same as a scan of the full tensor only for probabilities: see
 * ctcGreedyDecode), or when there are fewer classes than CTC_TOP_K.
 */
export function appendCtcTopK(
  model: Uint8Array,
  classes: CtcClasses,
): { tail: Uint8Array; outputs: CtcTopOutputs } {
  if (classes.count < CTC_TOP_K) throw new Error(`the recogniser has fewer than ${CTC_TOP_K} classes`);
  const top = scanFields(model);
  const graphs = top.filter((f) => f.field === FIELD.model.graph);
  const graphField = graphs[0];
  if (graphs.length !== 1 || !graphField) throw new Error('the model has no single graph');
  const opset = top
    .filter((f) => f.field === FIELD.model.opsetImport)
    .map((f) => toObject(onnx.OperatorSetIdProto, model.subarray(f.data, f.end)))
    .find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version as number | undefined;
  if (opset === undefined) throw new Error('the model imports no default-domain opset');

  const graph = model.subarray(graphField.data, graphField.end);
  const fields = scanFields(graph);
  const firstOutput = fields.find((f) => f.field === FIELD.graph.output);
  if (!firstOutput) throw new Error('the graph has no output');
  const output = toObject(
    onnx.ValueInfoProto,
    graph.subarray(firstOutput.data, firstOutput.end),
  ) as unknown as DecodedValueInfo;
  const tensor = output.type?.tensor_type;
  const dims = tensor?.shape?.dim ?? [];
  if (tensor?.elem_type !== ELEM.float || dims.length !== 3)
    throw new Error(`output "${output.name}" is not a rank-3 float tensor`);
  // The producer is the last node writing the output (nodes are in topological order, so search from the end).
  let producer: DecodedNode | undefined;
  for (let i = fields.length - 1; i >= 0 && !producer; i--) {
    const f = fields[i] as Field;
    if (f.field !== FIELD.graph.node) continue;
    const node = toObject(onnx.NodeProto, graph.subarray(f.data, f.end)) as unknown as DecodedNode;
    if (node.output.includes(output.name)) producer = node;
  }
  const axis = producer?.attribute.find((a) => a.name === 'axis')?.i ?? (opset >= 13 ? -1 : 1);
  if (producer?.op_type !== 'Softmax' || (axis !== -1 && axis !== 2))
    throw new Error(`output "${output.name}" is not a softmax over its last axis`);

  const outputs: CtcTopOutputs = {
    values: `${PREFIX}top_values`,
    indices: `${PREFIX}top_classes`,
    ...(classes.space === undefined ? {} : { space: `${PREFIX}space` }),
  };
  const appended = onnx.GraphProto.encode(
    onnx.GraphProto.fromObject({
      node: [...topKNodes(output.name, outputs, opset), ...spaceNodes(output.name, outputs, classes.space)],
      output: [
        valueInfo(outputs.values, ELEM.float, [dims[0], dims[1], { dim_value: CTC_TOP_K }]),
        valueInfo(outputs.indices, ELEM.int64, [dims[0], dims[1], { dim_value: CTC_TOP_K }]),
        ...(outputs.space ? [valueInfo(outputs.space, ELEM.float, [dims[0], dims[1]])] : []),
      ],
    }),
  ).finish();
  // A second occurrence of the graph field: parsers merge it into the first, appending its nodes and outputs.
  const tail = protobuf.Writer.create()
    .uint32((FIELD.model.graph << 3) | 2)
    .bytes(appended)
    .finish();
  return { tail, outputs };
}

const constant = (name: string, dims: number[], values: number[]) => ({
  op_type: 'Constant',
  name,
  output: [name],
  attribute: [{ name: 'value', type: ATTR.tensor, t: { dims, data_type: ELEM.int64, int64_data: values } }],
});

/** TopK takes k as an attribute up to opset 9 and as an input from opset 10. */
function topKNodes(input: string, outputs: CtcTopOutputs, opset: number) {
  const topK = {
    op_type: 'TopK',
    name: `${PREFIX}top_k`,
    output: [outputs.values, outputs.indices],
    attribute: [{ name: 'axis', type: ATTR.int, i: -1 }],
  };
  if (opset < 10) {
    topK.attribute.push({ name: 'k', type: ATTR.int, i: CTC_TOP_K });
    return [{ ...topK, input: [input] }];
  }
  const k = `${PREFIX}k`;
  return [constant(k, [1], [CTC_TOP_K]), { ...topK, input: [input, k] }];
}

function spaceNodes(input: string, outputs: CtcTopOutputs, spaceClass: number | undefined) {
  if (spaceClass === undefined || !outputs.space) return [];
  const index = `${PREFIX}space_class`;
  return [
    constant(index, [], [spaceClass]),
    {
      op_type: 'Gather',
      name: `${PREFIX}gather_space`,
      input: [input, index],
      output: [outputs.space],
      attribute: [{ name: 'axis', type: ATTR.int, i: 2 }],
    },
  ];
}

function valueInfo(name: string, elemType: number, dim: unknown[]) {
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim } } } };
}

/** Room left after the model's bytes for the tail (about 600 bytes for PP-OCRv4), so that nothing is copied. */
const TAIL_ROOM = 64 * 1024;

export interface CtcSession {
  session: InferenceSession;
  /** The appended outputs to fetch; undefined: the model as it is (fetch its first output). */
  top?: CtcTopOutputs;
  /** Why the outputs could not be appended, for the load log. */
  fallback?: string;
}

/**
 * A session on the recogniser with the top-k outputs appended, or, when the model does not fit them or
 * onnxruntime refuses the result, on the model as it is (and the reason).
 */
export async function openCtcSession(
  path: string,
  classes: CtcClasses,
  options: InferenceSession.SessionOptions,
): Promise<CtcSession> {
  const { buffer, size } = await readWithRoom(path, TAIL_ROOM);
  const model = buffer.subarray(0, size);
  let fallback: string;
  try {
    const { tail, outputs } = appendCtcTopK(model, classes);
    if (tail.length > TAIL_ROOM) throw new Error(`the appended outputs take ${tail.length} bytes`);
    const extended = buffer.subarray(0, size + tail.length);
    extended.set(tail, size);
    return { session: await InferenceSession.create(extended, options), top: outputs };
  } catch (error) {
    fallback = firstLine(error);
  }
  return { session: await InferenceSession.create(model, options), fallback };
}

/** The file's bytes in a buffer `room` bytes longer. */
async function readWithRoom(path: string, room: number): Promise<{ buffer: Buffer; size: number }> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const buffer = Buffer.allocUnsafe(size + room);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await file.read(buffer, done, size - done, done);
      if (bytesRead === 0) throw new Error(`${path} shrank while being read`);
      done += bytesRead;
    }
    return { buffer, size };
  } finally {
    await file.close();
  }
}
