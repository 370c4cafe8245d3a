// The three readers compared on the evaluation set, behind one interface: the modelship API over HTTP (or its
// OCR task in-process, for tuning), the in-process peer @gutenye/ocr-node, and Tesseract as a process per image.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Predictor } from '../../../app/api/src/tasks/types.js';
import { decodeToRgb } from '../../../test/fixtures/text-images.js';
import type { PredictResponse } from '../api-client.js';
import { requestJson } from '../load.js';
import { createPeer } from '../peer.js';
import type { EvalImage } from './generate.js';
import type { ReadBox } from './score.js';

export interface Reader {
  name: string;
  /** Whether the reader is expected to read this image (Tesseract's Debian package reads Latin script only). */
  reads(image: EvalImage): boolean;
  /** The boxes in the order the reader returned them. */
  read(image: EvalImage): Promise<ReadBox[]>;
  close?(): Promise<void>;
}

export function apiReader(baseUrl: string): Reader {
  return {
    name: 'modelship API',
    reads: () => true,
    async read(image) {
      const body = JSON.stringify({ model: 'ocr', image: image.bytes.toString('base64') });
      const res = await requestJson<PredictResponse>(baseUrl, {
        path: '/predict',
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      return res.detections.map((d) => ({ text: d.text }));
    },
  };
}

/** The OCR task called directly (no HTTP, no worker pool): for tuning runs. */
export function inProcessReader(predictor: Predictor): Reader {
  return {
    name: 'modelship (in-process)',
    reads: () => true,
    async read(image) {
      const { detections } = await predictor.predict(await decodeToRgb(image.bytes), {});
      return detections.map((d) => ({ text: d.text ?? '' }));
    },
  };
}

export async function peerReader(): Promise<Reader> {
  const peer = await createPeer();
  return {
    name: '@gutenye/ocr-node',
    reads: () => true,
    async read(image) {
      return (await peer.detect(image.bytes)).map((line) => ({ text: line.text }));
    },
  };
}

/** Debian's tesseract-ocr, page segmentation mode 3 (automatic, its default), one process per image. */
export function tesseractReader(): Reader {
  return {
    name: 'Tesseract',
    reads: (image) => image.imageClass !== 'chinese',
    async read(image) {
      const child = spawn('tesseract', ['stdin', 'stdout', '--psm', '3', '-l', 'eng'], {
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
      });
      child.stdin.end(image.bytes);
      const [code] = (await once(child, 'close')) as [number | null];
      if (code !== 0) throw new Error(`tesseract exited with code ${code} on ${image.id}`);
      return out
        .split('\n')
        .map((text) => text.trim())
        .filter((text) => text !== '')
        .map((text) => ({ text }));
    },
  };
}
