// The bundled OCR model (models/ocr) as the OCR tests load it: its folder, its model.json as written, and a
// CPU load context with one onnxruntime thread per session.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type OcrManifest, ocrTask } from '../../src/tasks/ocr/index.js';
import type { LoadContext, Predictor } from '../../src/tasks/types.js';

export const ocrModelDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../models/ocr');

export const ocrContext: LoadContext = {
  modelDir: ocrModelDir,
  providers: ['cpu'],
  sessionOptions: { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1 },
};

/** models/ocr/model.json as parsed JSON, before the schema fills defaults: tests spread their changes into it. */
export const rawOcrManifest = JSON.parse(readFileSync(resolve(ocrModelDir, 'model.json'), 'utf8'));

/** The bundled OCR model with `changes` merged into its model.json, loaded on CPU. */
export function loadBundledOcr(changes: Record<string, unknown> = {}): Promise<Predictor> {
  const manifest: OcrManifest = ocrTask.manifestSchema.parse({ ...rawOcrManifest, ...changes });
  return ocrTask.load(manifest, ocrContext);
}
