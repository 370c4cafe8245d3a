// Runs each reader over the same images in one run, scores them, and summarises per reader and per image class.
import { median } from '../stats.js';
import { type EvalImage, IMAGE_CLASSES, type ImageClass } from './generate.js';
import type { Reader } from './readers.js';
import { addScores, cer, type ImageScore, scoreImage, type Totals } from './score.js';

export interface ReaderRow {
  reader: string;
  /** `all` or an image class. */
  scope: 'all' | 'latin' | ImageClass;
  totals: Totals;
  cerWithSpaces: number;
  cerNoSpaces: number;
  /** Median milliseconds per image (for Tesseract: a whole process, start to exit). */
  p50Ms: number;
}

export interface ImageOutcome {
  id: string;
  reader: string;
  truth: string[];
  read: string[];
  score: ImageScore;
  ms: number;
}

export interface Evaluation {
  split: string;
  images: number;
  rows: ReaderRow[];
  outcomes: ImageOutcome[];
}

/** Each image goes to every reader in turn (so machine load affects them alike). */
export async function evaluate(
  images: readonly EvalImage[],
  readers: readonly Reader[],
  split: string,
  onImage?: (done: number) => void,
): Promise<Evaluation> {
  const outcomes: ImageOutcome[] = [];
  for (const [n, image] of images.entries()) {
    for (const reader of readers) {
      if (!reader.reads(image)) continue;
      const started = performance.now();
      const boxes = await reader.read(image);
      const ms = performance.now() - started;
      outcomes.push({
        id: image.id,
        reader: reader.name,
        truth: image.lines,
        read: boxes.map((b) => b.text),
        score: scoreImage(boxes, image.lines),
        ms,
      });
    }
    onImage?.(n + 1);
  }
  const classOf = new Map(images.map((i) => [i.id, i.imageClass]));
  const rows: ReaderRow[] = [];
  for (const reader of readers) {
    const mine = outcomes.filter((o) => o.reader === reader.name);
    const scopes: ReaderRow['scope'][] = ['all', 'latin', ...IMAGE_CLASSES];
    for (const scope of scopes) {
      const subset = mine.filter((o) => {
        const c = classOf.get(o.id);
        return scope === 'all' || (scope === 'latin' ? c !== 'chinese' : c === scope);
      });
      if (subset.length === 0) continue;
      const totals = addScores(subset.map((o) => o.score));
      const rates = cer(totals);
      rows.push({
        reader: reader.name,
        scope,
        totals,
        cerWithSpaces: rates.withSpaces,
        cerNoSpaces: rates.noSpaces,
        p50Ms: median(subset.map((o) => o.ms)),
      });
    }
  }
  return { split, images: images.length, rows, outcomes };
}
