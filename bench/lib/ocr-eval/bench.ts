// The OCR evaluation as part of `npm run bench`: the held-out split, read by the running API, the in-process
// peer and Tesseract in the same run, one image at a time.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { evaluate, type ReaderRow } from './evaluate.js';
import { FONT_PACKAGES, generateSet, SPLIT_SEEDS } from './generate.js';
import { renderOcrEvalSection } from './markdown.js';
import { apiReader, peerReader, type Reader, tesseractReader } from './readers.js';

export const EVAL_COUNT = 300;
/** `--quick`: every 25th image, two of each class. */
const QUICK_STRIDE = 25;

export interface OcrEvalResults {
  split: 'eval';
  seed: number;
  images: number;
  fontPackages: string[];
  rows: ReaderRow[];
  /** Readers that could not run here, and why. */
  skipped: string[];
  /** A few of the API's misread lines, for reading the figures (truth → read). */
  apiMisreads: { id: string; truth: string[]; read: string[] }[];
}

async function tesseractVersion(): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await promisify(execFile)('tesseract', ['--version']);
    return `${stdout}${stderr}`.split('\n')[0]?.trim();
  } catch {
    return undefined;
  }
}

export async function runOcrEval(
  apiUrl: string,
  quick: boolean,
  log: (message: string) => void,
): Promise<OcrEvalResults> {
  log(
    `OCR evaluation set: rendering ${quick ? 'a subset of ' : ''}${EVAL_COUNT} images (cached in bench/.cache)`,
  );
  const images = await generateSet({ split: 'eval', count: EVAL_COUNT, stride: quick ? QUICK_STRIDE : 1 });
  const readers: Reader[] = [apiReader(apiUrl), await peerReader()];
  const skipped: string[] = [];
  const version = await tesseractVersion();
  if (version) {
    const tesseract = tesseractReader();
    readers.push({ ...tesseract, name: `Tesseract (${version.replace(/^tesseract\s*/, '')})` });
  } else skipped.push('Tesseract: `tesseract` is not installed (apt-get install tesseract-ocr)');
  const evaluation = await evaluate(images, readers, 'eval', (done) => {
    if (done % 25 === 0 || done === images.length) log(`OCR evaluation: ${done}/${images.length} images`);
  });
  const api = readers[0]?.name;
  return {
    split: 'eval',
    seed: SPLIT_SEEDS.eval,
    images: images.length,
    fontPackages: FONT_PACKAGES,
    rows: evaluation.rows,
    skipped,
    apiMisreads: evaluation.outcomes
      .filter((o) => o.reader === api && o.score.edits > 0)
      .slice(0, 12)
      .map(({ id, truth, read }) => ({ id, truth, read })),
  };
}

/** `npm run bench -- --only ocr-eval`: the section alone, in <out>/ocr-eval.{md,json}. */
export async function writeOcrEvalOnly(
  out: string,
  results: OcrEvalResults,
  log: (message: string) => void,
): Promise<void> {
  await mkdir(out, { recursive: true });
  const base = join(out, 'ocr-eval');
  await writeFile(
    `${base}.json`,
    `${JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2)}\n`,
  );
  const title = `# modelship OCR evaluation\n\n${new Date().toISOString()} · \`npm run bench\` (this part alone: \`npm run bench -- --only ocr-eval\`)\n`;
  await writeFile(`${base}.md`, `${title}\n${renderOcrEvalSection(results).join('\n')}\n`);
  log(`wrote ${base}.md and ${base}.json`);
}
