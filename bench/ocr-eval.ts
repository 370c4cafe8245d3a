// `node --import tsx bench/ocr-eval.ts [--split tune|eval] [--count N] [--readers ours,peer,tesseract]`: the OCR
// evaluation set on its own, with the OCR task in-process (no HTTP) — the loop for adjusting the pipeline on the
// tuning split. `npm run bench` runs the evaluation split through the API instead and writes the results.
// `--extra-seed K --class noisy`: more tuning images of one class, from another tuning seed (never the eval one).
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type OcrManifest, ocrTask } from '../app/api/src/tasks/ocr/index.js';
import { evaluate } from './lib/ocr-eval/evaluate.js';
import { generateSet, type ImageClass, type Split } from './lib/ocr-eval/generate.js';
import { renderEvalTables } from './lib/ocr-eval/markdown.js';
import { inProcessReader, peerReader, type Reader, tesseractReader } from './lib/ocr-eval/readers.js';

const { values } = parseArgs({
  options: {
    split: { type: 'string', default: 'tune' },
    count: { type: 'string', default: '300' },
    stride: { type: 'string', default: '1' },
    readers: { type: 'string', default: 'ours' },
    manifest: { type: 'string', default: 'models/ocr/model.json' },
    failures: { type: 'string' },
    'extra-seed': { type: 'string' },
    class: { type: 'string' },
  },
});
const split = values.split as Split;
const images = await generateSet({
  split,
  count: Number(values.count),
  stride: Number(values.stride),
  ...(values['extra-seed'] === undefined ? {} : { extraSeed: Number(values['extra-seed']) }),
  ...(values.class === undefined ? {} : { classes: values.class.split(',') as ImageClass[] }),
});
const readers: Reader[] = [];
const names = (values.readers ?? '').split(',');
let release: (() => Promise<void>) | undefined;
if (names.includes('ours')) {
  const manifest: OcrManifest = ocrTask.manifestSchema.parse(
    JSON.parse(readFileSync(values.manifest, 'utf8')),
  );
  const predictor = await ocrTask.load(manifest, {
    modelDir: 'models/ocr',
    providers: ['cpu'],
    sessionOptions: { executionProviders: ['cpu'], graphOptimizationLevel: 'all' },
  });
  release = () => predictor.release();
  readers.push(inProcessReader(predictor));
}
if (names.includes('peer')) readers.push(await peerReader());
if (names.includes('tesseract')) readers.push(tesseractReader());
const result = await evaluate(images, readers, split);
await release?.();
process.stdout.write(`${renderEvalTables(result)}\n`);
if (values.failures) {
  const bad = result.outcomes.filter((o) => o.score.edits > 0);
  await writeFile(
    values.failures,
    bad
      .map((o) =>
        JSON.stringify({ id: o.id, reader: o.reader, truth: o.truth, read: o.read, edits: o.score.edits }),
      )
      .join('\n'),
  );
}
