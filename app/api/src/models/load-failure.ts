// Turns an error from loading a model's files into plain words: which file, what is wrong with it, and what
// to check. onnxruntime's own text ("ModelProto does not have a graph") tells a newcomer little.
import { type Stats, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { firstLine } from '../errors.js';

/** onnxruntime names the file it could not load this way. */
const ORT_LOAD = /Load model from (.+?) failed:/;

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The path as the user knows it: relative to the current directory when it is inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

export function explainLoadFailure(error: unknown): string {
  const message = String((error as Error)?.message ?? error);
  const file = ORT_LOAD.exec(message)?.[1] ?? (error as NodeJS.ErrnoException)?.path;
  if (!file) return `${firstLine(error)}. Check the model's files and its model.json (see models/README.md)`;
  const name = shown(file);
  const stats = statOf(file);
  if (stats === undefined) {
    return (
      `${name} does not exist. Check the file name in model.json (a path is relative to the model's folder) ` +
      'and that the file was copied there'
    );
  }
  // `"model": "."` names the model's folder: onnxruntime's own advice about it does not say so.
  if (stats.isDirectory()) {
    return `${name} is a folder, not a file: name the file itself in model.json (e.g. "model": "model.onnx")`;
  }
  const { size } = stats;
  if (size === 0)
    return `${name} is empty (0 bytes): the export or the copy did not finish. Export the model again`;
  if (/opset|IR version/i.test(message)) {
    return (
      `${name} needs a newer ONNX opset or IR version than this onnxruntime supports (${firstLine(message.replace(ORT_LOAD, ''))}). ` +
      'Export it again with a lower opset, e.g. opset=17'
    );
  }
  if (/Protobuf parsing failed|does not have a graph/i.test(message)) {
    return (
      `${name} (${size.toLocaleString('en')} bytes) is not an ONNX model onnxruntime can read. Check that it is the ` +
      '.onnx export (not the .pt weights) and that the file is complete (compare its size), or export it again'
    );
  }
  return `${name}: ${firstLine(message.replace(ORT_LOAD, ''))}. Check that it is a float32 ONNX export (see models/README.md)`;
}
