// How v2 clients call pipeline models (OCR) and, as an alternative, any image model: one BYTES input named
// `image` holding an encoded PNG/JPEG/WebP (base64 in JSON, raw bytes with the binary extension); the
// prediction comes back as tensors, one row per detection.
import { z } from 'zod';
import type { ModelInfo } from '../contract.js';
import { badRequest } from '../errors.js';
import { decodeBase64Image } from '../images/base64.js';
import { imageFormat } from '../images/format.js';
import type { Detection, PredictOptions, TensorSpec } from '../tasks/types.js';
import {
  elementCount,
  flatData,
  type OutputTensor,
  type RequestTensor,
  splitBytesElements,
} from './tensors.js';

export const IMAGE_INPUT_NAME = 'image';

export const IMAGE_INPUTS: TensorSpec[] = [{ name: IMAGE_INPUT_NAME, datatype: 'BYTES', shape: [1] }];

export const IMAGE_OUTPUTS: TensorSpec[] = [
  { name: 'boxes', datatype: 'FP32', shape: [-1, 4] },
  { name: 'confidences', datatype: 'FP32', shape: [-1] },
  { name: 'class_names', datatype: 'BYTES', shape: [-1] },
  { name: 'class_ids', datatype: 'INT32', shape: [-1] },
  { name: 'texts', datatype: 'BYTES', shape: [-1] },
  { name: 'polygons', datatype: 'FP32', shape: [-1, 4, 2] },
];

/**
 * The tensors a client sends and gets back: the model's own for a raw-tensor model, otherwise the image
 * interface (a pipeline such as OCR takes no tensors of its stages). /v1 and /v2 both advertise these, so that
 * the metadata never names an input the API refuses.
 */
export function servedTensors(info: ModelInfo): { inputs: TensorSpec[]; outputs: TensorSpec[] } {
  return info.rawTensors
    ? { inputs: info.inputs, outputs: info.outputs }
    : { inputs: IMAGE_INPUTS, outputs: IMAGE_OUTPUTS };
}

/** A model's metadata with the tensors it is served with (see servedTensors). */
export const servedInfo = (info: ModelInfo): ModelInfo => ({ ...info, ...servedTensors(info) });

/** True when the request is the image interface: exactly one BYTES input named `image`. */
export function isImageRequest(inputs: readonly RequestTensor[]): boolean {
  return inputs.length === 1 && inputs[0]?.name === IMAGE_INPUT_NAME && inputs[0].datatype === 'BYTES';
}

/** The encoded image: base64 text in JSON, or the raw bytes (with or without the 4-byte length prefix). */
export function imageBytes(input: RequestTensor, field: string, binary?: Uint8Array): Uint8Array {
  if (elementCount(input.shape) !== 1) {
    throw badRequest(
      `input "image" holds one image: its shape must be [1], got [${input.shape}]`,
      `${field}.shape`,
    );
  }
  if (binary) {
    // Triton clients prefix BYTES elements with their length; plain `curl --data-binary` sends the file alone.
    // An image after 4 bytes that are not one is a prefixed element too: its wrong length is then named.
    const prefixed =
      binary.length >= 4 &&
      (Buffer.from(binary.buffer, binary.byteOffset, 4).readUInt32LE(0) === binary.length - 4 ||
        (!imageFormat(binary) && imageFormat(binary.subarray(4)) !== undefined));
    return prefixed ? (splitBytesElements(binary, 1, input.name, field)[0] as Buffer) : binary;
  }
  const element = flatData(input, field);
  if (element.length !== 1 || typeof element[0] !== 'string') {
    throw badRequest('input "image": "data" must be one base64 string', `${field}.data`);
  }
  return decodeBase64Image(element[0], `${field}.data`);
}

/** Request-level `parameters` understood by the image interface. */
export const ImageParameters = z.object({
  confidence: z.number().min(0).max(1).optional(),
  iou: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(1).max(1000).optional(),
});

export function predictOptions(parameters: z.infer<typeof ImageParameters>): PredictOptions {
  return {
    ...(parameters.confidence === undefined ? {} : { confidence: parameters.confidence }),
    ...(parameters.iou === undefined ? {} : { iou: parameters.iou }),
    ...(parameters.top_k === undefined ? {} : { topK: parameters.top_k }),
  };
}

/** Detections as the IMAGE_OUTPUTS tensors. Absent fields: class id -1, empty text, the box's corners. */
export function detectionTensors(detections: readonly Detection[]): OutputTensor[] {
  const n = detections.length;
  const corners = (d: Detection): [number, number][] =>
    d.polygon ?? [
      [d.x_min, d.y_min],
      [d.x_max, d.y_min],
      [d.x_max, d.y_max],
      [d.x_min, d.y_max],
    ];
  return [
    {
      name: 'boxes',
      datatype: 'FP32',
      shape: [n, 4],
      data: detections.flatMap((d) => [d.x_min, d.y_min, d.x_max, d.y_max]),
    },
    { name: 'confidences', datatype: 'FP32', shape: [n], data: detections.map((d) => d.confidence) },
    { name: 'class_names', datatype: 'BYTES', shape: [n], data: detections.map((d) => d.class_name) },
    { name: 'class_ids', datatype: 'INT32', shape: [n], data: detections.map((d) => d.class_id ?? -1) },
    { name: 'texts', datatype: 'BYTES', shape: [n], data: detections.map((d) => d.text ?? '') },
    {
      name: 'polygons',
      datatype: 'FP32',
      shape: [n, 4, 2],
      data: detections.flatMap((d) => corners(d).flat()),
    },
  ];
}
