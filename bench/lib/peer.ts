// The in-process peer: @gutenye/ocr-node on the same PP-OCRv4 ONNX files and the same onnxruntime-node,
// called directly (no HTTP).
import Ocr from '@gutenye/ocr-node';
import type { InferenceSession } from 'onnxruntime-node';
import type { TextBox } from './cer.js';

export interface PeerLine {
  text: string;
  mean: number;
  box?: [number, number][];
}

export interface Peer {
  detect(image: Buffer): Promise<PeerLine[]>;
}

/** `onnxOptions` unset: the library's defaults, as its users run it (ORT picks the thread count). */
export async function createPeer(onnxOptions?: InferenceSession.SessionOptions): Promise<Peer> {
  const ocr = await Ocr.create(onnxOptions ? { onnxOptions } : {});
  return {
    // ocr.detect is typed for a file path, but hands it to sharp(), which takes an encoded buffer as well.
    detect: (image) => ocr.detect(image as unknown as string) as Promise<PeerLine[]>,
  };
}

/** Peer lines as boxes for the shared reading-order function; a line without a box sorts first. */
export function peerBoxes(lines: readonly PeerLine[]): TextBox[] {
  return lines.map((line) => {
    const points = line.box && line.box.length > 0 ? line.box : [[0, 0] as [number, number]];
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    return {
      text: line.text,
      x_min: Math.min(...xs),
      y_min: Math.min(...ys),
      x_max: Math.max(...xs),
      y_max: Math.max(...ys),
    };
  });
}
