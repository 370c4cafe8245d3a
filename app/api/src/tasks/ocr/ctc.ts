// CTC greedy decoding of the recogniser's per-timestep class probabilities.

/**
 * Class labels: index 0 is the CTC blank, 1..N the dictionary's lines, then " " when the model was trained with
 * a space class (PaddleOCR `use_space_char`).
 */
export function parseDictionary(text: string, spaceChar: boolean): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return ['', ...lines, ...(spaceChar ? [' '] : [])];
}

/**
 * What the decode adds to PaddleOCR's plain greedy read (the manifest's `recognition` fields; each is explained
 * at ctcGreedyDecode). Omitted: off (spaceThreshold 1, lookAlike 0, spaceLineRatio 0).
 */
export interface DecodeRules {
  spaceThreshold?: number;
  lookAlike?: number;
  spaceLineRatio?: number;
}

export interface DecodedText {
  text: string;
  /** Mean of the winning probabilities of the characters kept (0 when none). */
  confidence: number;
}

/**
 * Decodes one sequence of `steps` × `classes` probabilities starting at `offset`: best class per step, repeats
 * merged, blanks dropped (PaddleOCR's CTCLabelDecode). Only the ends of the line are trimmed.
 *
 * `spaceThreshold` < 1: a step whose best class is the blank still reads as a space when the space class reaches
 * this probability. PP-OCRv4's recogniser, trained mostly on Chinese, puts 0.15-0.3 on the space between two
 * Latin words and the rest on the blank, so plain greedy decoding runs words together.
 *
 * `lookAlike` > 0: a letter read where a digit came close (runner-up probability at least `lookAlike` × the
 * winner's), or a digit where a letter came close, takes the runner-up when every other character of its run of
 * letters and digits is of the runner-up's kind. The recogniser reads the second "o" of "floor" as "0" (0.58
 * against 0.38) and "21:45" as "2l:45"; a word is letters or a number, and an ambiguous glyph follows it.
 *
 * `spaceLineRatio` > 0: a space read only through `spaceThreshold` (the blank won every step of its gap) is dropped
 * when the space class's peak over its gap is under this fraction of the median peak of the line's other spaces.
 * The word gaps of one line share a font, a size and a noise level, so the recogniser's space probability is of
 * one order across them; the narrower gaps around "@", "." or "/" get a faint space probability too
 * ("keep.butter @example.com" at 0.06-0.2 where the line's word gaps reach 0.3-0.99), and no fixed threshold
 * tells the two apart over all lines.
 */
export function ctcGreedyDecode(
  probs: Float32Array,
  offset: number,
  steps: number,
  classes: number,
  labels: readonly string[],
  rules: DecodeRules = {},
): DecodedText {
  const { spaceThreshold = 1, lookAlike = 0, spaceLineRatio = 0 } = rules;
  const reader = new GreedyReader(labels, spaceThreshold);
  const space = reader.space;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0;
    let bestP = probs[base] as number;
    // The best non-blank class other than the winner.
    let alt = -1;
    let altP = -1;
    for (let c = 1; c < classes; c++) {
      const p = probs[base + c] as number;
      if (p > bestP) {
        if (best !== 0) {
          alt = best;
          altP = bestP;
        }
        bestP = p;
        best = c;
      } else if (p > altP) {
        alt = c;
        altP = p;
      }
    }
    reader.step(best, bestP, alt, altP, space < 0 ? 0 : (probs[base + space] as number));
  }
  return reader.finish(lookAlike, spaceLineRatio);
}

/**
 * ctcGreedyDecode of one sequence from each step's top classes (highest first, ties lower class first:
 * `classes` [steps, k] from `offset`, their probabilities in `values`) and the space class's probability (`space`
 * [steps] from its `offset`; absent without a space class), as the recogniser's appended outputs give them
 * (ctc-graph.ts). With k ≥ 3 this reads exactly what the scan of all classes reads, for probabilities.
 */
export function ctcTopKDecode(
  top: { values: Float32Array; classes: BigInt64Array; k: number; offset: number },
  space: { values: Float32Array; offset: number } | undefined,
  steps: number,
  labels: readonly string[],
  rules: DecodeRules = {},
): DecodedText {
  const { spaceThreshold = 1, lookAlike = 0, spaceLineRatio = 0 } = rules;
  const reader = new GreedyReader(labels, spaceThreshold);
  const { values, classes, k } = top;
  for (let t = 0; t < steps; t++) {
    const base = top.offset + t * k;
    const best = Number(classes[base]);
    // The runner-up: the first of the others that is not the blank.
    let j = 1;
    while (j < k && classes[base + j] === 0n) j++;
    reader.step(
      best,
      values[base] as number,
      j < k ? Number(classes[base + j]) : -1,
      j < k ? (values[base + j] as number) : -1,
      space ? (space.values[space.offset + t] as number) : 0,
    );
  }
  return reader.finish(lookAlike, spaceLineRatio);
}

/** The space class's index in `labels`, or -1 (see parseDictionary). */
export const spaceClass = (labels: readonly string[]): number =>
  labels.at(-1) === ' ' ? labels.length - 1 : -1;

/** Greedy decoding fed one CTC step at a time: repeats merged, blanks dropped, the space rule applied. */
class GreedyReader {
  readonly space: number;
  private readonly read: Emitted[] = [];
  private previous = -1;

  constructor(
    private readonly labels: readonly string[],
    private readonly spaceThreshold: number,
  ) {
    this.space = spaceClass(labels);
  }

  /** A step's best class, the best non-blank class other than it (the runner-up), their probabilities, and the
   * space class's probability. */
  step(best: number, bestP: number, alt: number, altP: number, spaceP: number): void {
    const { space, read } = this;
    const won = best;
    if (best === 0 && space > 0 && spaceP >= this.spaceThreshold) {
      best = space;
      bestP = spaceP;
    }
    const last = read.at(-1);
    // Two spaces with only blanks between them are one gap: a word gap wide enough for several CTC steps can
    // have its space class peak twice.
    const doubledSpace = best === space && last?.ch === ' ';
    if (best !== 0 && best !== this.previous && !doubledSpace) {
      read.push({
        ch: this.labels[best] ?? '',
        p: bestP,
        alt: this.labels[alt] ?? '',
        altP,
        ...(best === space ? { gap: { peak: spaceP, weak: won !== space } } : {}),
      });
    } else if (last?.gap && (best === 0 || best === space)) {
      // Still in the gap of the last space read.
      last.gap.peak = Math.max(last.gap.peak, spaceP);
      last.gap.weak &&= won !== space;
    }
    this.previous = best;
  }

  finish(lookAlike: number, spaceLineRatio: number): DecodedText {
    const { read } = this;
    if (spaceLineRatio > 0) dropWeakSpaces(read, spaceLineRatio);
    if (lookAlike > 0) resolveLookAlikes(read, lookAlike);
    const sum = read.reduce((total, e) => total + e.p, 0);
    return {
      text: read
        .map((e) => e.ch)
        .join('')
        .trim(),
      confidence: read.length === 0 ? 0 : sum / read.length,
    };
  }
}

interface Emitted {
  ch: string;
  p: number;
  /** Runner-up class at the same step, and its probability. */
  alt: string;
  altP: number;
  /** For a space: the space class's peak over its gap, and whether the blank won every step of it. */
  gap?: { peak: number; weak: boolean };
}

/** See ctcGreedyDecode's `spaceLineRatio`. Spaces at the ends of the line (trimmed anyway) do not count. */
function dropWeakSpaces(read: Emitted[], ratio: number): void {
  const first = read.findIndex((e) => e.ch !== ' ');
  const end = read.findLastIndex((e) => e.ch !== ' ');
  const inner = read.flatMap((e, i) => (e.gap && i > first && i < end ? [i] : []));
  const weak = inner.filter((i) => {
    const gap = (read[i] as Emitted).gap as { peak: number; weak: boolean };
    const others = inner
      .filter((j) => j !== i)
      .map((j) => ((read[j] as Emitted).gap as { peak: number }).peak);
    return gap.weak && others.length > 0 && gap.peak < ratio * median(others);
  });
  for (const i of weak.reverse()) read.splice(i, 1);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const kindOf = (ch: string): 'letter' | 'digit' | undefined =>
  /^\p{Nd}$/u.test(ch) ? 'digit' : /^\p{L}$/u.test(ch) ? 'letter' : undefined;

/** See ctcGreedyDecode's `lookAlike`. Characters that are themselves in doubt do not vote. */
function resolveLookAlikes(read: Emitted[], ratio: number): void {
  const doubtful = read.map((e) => {
    const kind = kindOf(e.ch);
    const other = kindOf(e.alt);
    return kind !== undefined && other !== undefined && kind !== other && e.altP >= ratio * e.p;
  });
  const swaps: number[] = [];
  read.forEach((e, i) => {
    if (!doubtful[i]) return;
    const want = kindOf(e.alt);
    let votes = 0;
    let against = 0;
    for (const step of [-1, 1]) {
      for (let j = i + step; j >= 0 && j < read.length; j += step) {
        const kind = kindOf((read[j] as Emitted).ch);
        if (kind === undefined) break;
        if (doubtful[j]) continue;
        if (kind === want) votes++;
        else against++;
      }
    }
    if (votes > 0 && against === 0) swaps.push(i);
  });
  for (const i of swaps) {
    const e = read[i] as Emitted;
    read[i] = { ch: e.alt, p: e.altP, alt: e.ch, altP: e.p };
  }
}
