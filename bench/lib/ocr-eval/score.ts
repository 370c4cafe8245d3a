// Scores a reader's boxes against the rendered lines. Each returned box is located in the truth by approximate
// substring matching; the truth lines it covers form a unit (one line, or several when the box merged them), and
// each unit's boxes, joined in the order the reader returned them, are compared with the unit's text. So a line
// split into words in reading order costs nothing, a split out of order or with an overlap costs its edits, and a
// box matching nothing costs its characters as insertions.

export interface ReadBox {
  text: string;
}

export interface EditCounts {
  substitutions: number;
  /** Characters of the truth the reader left out. */
  dropped: number;
  /** Characters the reader added. */
  inserted: number;
}

export interface ImageScore extends EditCounts {
  /** Edits and truth length, spaces included (runs of whitespace count as one space). */
  edits: number;
  length: number;
  /** The same with all whitespace removed from both sides. */
  editsNoSpace: number;
  lengthNoSpace: number;
  lines: number;
  /** Truth lines read exactly (spaces included). */
  exactLines: number;
  /** Truth lines that came back as two or more boxes. */
  splitLines: number;
  /** Truth lines that came back inside a box holding another line too (counted per extra line). */
  mergedLines: number;
  /** Truth lines no box covered. */
  missedLines: number;
  /** Boxes that match no truth line. */
  spuriousBoxes: number;
}

const normalize = (s: string) => s.replace(/\s+/g, ' ').trim();
const noSpace = (s: string) => s.replace(/\s+/g, '');

/** Levenshtein distance with the kind of each edit (one optimal alignment). */
export function editCounts(hyp: string, ref: string): EditCounts & { edits: number } {
  const a = [...hyp];
  const b = [...ref];
  const cols = b.length + 1;
  const d = new Uint32Array((a.length + 1) * cols);
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    d[i * cols] = i;
    for (let j = 1; j <= b.length; j++) {
      const sub = (d[(i - 1) * cols + j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      d[i * cols + j] = Math.min(
        sub,
        (d[(i - 1) * cols + j] as number) + 1,
        (d[i * cols + j - 1] as number) + 1,
      );
    }
  }
  const counts = {
    substitutions: 0,
    dropped: 0,
    inserted: 0,
    edits: d[a.length * cols + b.length] as number,
  };
  let i = a.length;
  let j = b.length;
  while (i > 0 || j > 0) {
    const here = d[i * cols + j] as number;
    if (i > 0 && j > 0 && here === (d[(i - 1) * cols + j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)) {
      if (a[i - 1] !== b[j - 1]) counts.substitutions++;
      i--;
      j--;
    } else if (i > 0 && here === (d[(i - 1) * cols + j] as number) + 1) {
      counts.inserted++;
      i--;
    } else {
      counts.dropped++;
      j--;
    }
  }
  return counts;
}

/**
 * Where `text` best occurs in `truth` (Sellers' approximate substring match): [start, end) in code points and
 * the edits needed. A line break in the truth matches a space in the text for free.
 */
export function locate(text: string, truth: string): { start: number; end: number; cost: number } {
  return locateAll(text, truth)[0] as { start: number; end: number; cost: number };
}

/**
 * Every place `text` occurs in `truth` at the lowest cost, in truth order (one per end position). A sign read
 * "出口" twice, or "出口" under "安全出口", has several.
 */
export function locateAll(text: string, truth: string): { start: number; end: number; cost: number }[] {
  const a = [...text];
  const b = [...truth];
  const cols = b.length + 1;
  const d = new Uint32Array((a.length + 1) * cols);
  const same = (i: number, j: number) => a[i - 1] === b[j - 1] || (a[i - 1] === ' ' && b[j - 1] === '\n');
  // d[0][j] = 0: the match may start anywhere.
  for (let i = 1; i <= a.length; i++) {
    d[i * cols] = i;
    for (let j = 1; j <= b.length; j++) {
      d[i * cols + j] = Math.min(
        (d[(i - 1) * cols + j - 1] as number) + (same(i, j) ? 0 : 1),
        (d[(i - 1) * cols + j] as number) + 1,
        (d[i * cols + j - 1] as number) + 1,
      );
    }
  }
  const last = (j: number) => d[a.length * cols + j] as number;
  let cost = last(0);
  for (let j = 1; j <= b.length; j++) cost = Math.min(cost, last(j));
  const matches: { start: number; end: number; cost: number }[] = [];
  for (let end = 0; end <= b.length; end++) {
    // A minimum that only extends the previous one by a free edit (a longer span, same cost) is the same place.
    if (last(end) !== cost || (end > 0 && last(end - 1) === cost && matches.length > 0)) continue;
    let i = a.length;
    let j = end;
    while (i > 0) {
      const here = d[i * cols + j] as number;
      if (j > 0 && here === (d[(i - 1) * cols + j - 1] as number) + (same(i, j) ? 0 : 1)) {
        i--;
        j--;
      } else if (here === (d[(i - 1) * cols + j] as number) + 1) i--;
      else j--;
    }
    matches.push({ start: j, end, cost });
  }
  return matches;
}

/** Scores one image: `boxes` in the order the reader returned them, `truthLines` top to bottom. */
export function scoreImage(boxes: readonly ReadBox[], truthLines: readonly string[]): ImageScore {
  const lines = truthLines.map(normalize);
  const truth = lines.join('\n');
  const ranges: [number, number][] = [];
  let offset = 0;
  for (const line of lines) {
    const n = [...line].length;
    ranges.push([offset, offset + n]);
    offset += n + 1;
  }
  // Union-find over lines: a box covering several lines joins them into one unit.
  const parent = lines.map((_, k) => k);
  const root = (k: number): number => (parent[k] === k ? k : root(parent[k] as number));
  const boxLines: number[][] = [];
  const taken: [number, number][] = [];
  let spuriousBoxes = 0;
  let spuriousChars = 0;
  let spuriousNoSpace = 0;
  for (const box of boxes) {
    const text = normalize(box.text);
    const n = [...text].length;
    if (n === 0) {
      boxLines.push([]);
      continue;
    }
    // Where the text occurs more than once, the first place no earlier box has taken (a repeated line).
    const matches = locateAll(text, truth);
    const { start, end, cost } =
      matches.find((m) => taken.every(([s, e]) => Math.min(m.end, e) <= Math.max(m.start, s))) ??
      (matches[0] as (typeof matches)[number]);
    const covered = ranges.flatMap(([s, e], k) => {
      const overlap = Math.min(end, e) - Math.max(start, s);
      return overlap >= Math.min(3, Math.ceil((e - s) / 2)) && overlap > 0 ? [k] : [];
    });
    if (covered.length === 0 || cost > n / 2) {
      spuriousBoxes++;
      spuriousChars += n;
      spuriousNoSpace += [...noSpace(text)].length;
      boxLines.push([]);
      continue;
    }
    taken.push([start, end]);
    for (const k of covered.slice(1)) parent[root(k)] = root(covered[0] as number);
    boxLines.push(covered);
  }
  const score: ImageScore = {
    edits: spuriousChars,
    length: 0,
    editsNoSpace: spuriousNoSpace,
    lengthNoSpace: 0,
    substitutions: 0,
    dropped: 0,
    inserted: spuriousChars,
    lines: lines.length,
    exactLines: 0,
    splitLines: 0,
    mergedLines: 0,
    missedLines: 0,
    spuriousBoxes,
  };
  const units = new Map<number, number[]>();
  lines.forEach((_, k) => {
    const r = root(k);
    units.set(r, [...(units.get(r) ?? []), k]);
  });
  for (const members of units.values()) {
    const unitBoxes = boxes.filter((_, b) => boxLines[b]?.some((k) => members.includes(k)));
    const hyp = normalize(unitBoxes.map((b) => b.text).join(' '));
    const ref = members.map((k) => lines[k]).join(' ');
    const counts = editCounts(hyp, ref);
    score.edits += counts.edits;
    score.length += [...ref].length;
    score.substitutions += counts.substitutions;
    score.dropped += counts.dropped;
    score.inserted += counts.inserted;
    score.editsNoSpace += editCounts(noSpace(hyp), noSpace(ref)).edits;
    score.lengthNoSpace += [...noSpace(ref)].length;
    if (members.length > 1) score.mergedLines += members.length - 1;
    else if (unitBoxes.length === 0) score.missedLines++;
    else if (unitBoxes.length > 1) score.splitLines++;
    if (members.length === 1 && counts.edits === 0) score.exactLines++;
  }
  return score;
}

export type Totals = ImageScore & { images: number };

export function addScores(scores: readonly ImageScore[]): Totals {
  const total: Totals = {
    images: scores.length,
    edits: 0,
    length: 0,
    editsNoSpace: 0,
    lengthNoSpace: 0,
    substitutions: 0,
    dropped: 0,
    inserted: 0,
    lines: 0,
    exactLines: 0,
    splitLines: 0,
    mergedLines: 0,
    missedLines: 0,
    spuriousBoxes: 0,
  };
  for (const s of scores) for (const key of Object.keys(s) as (keyof ImageScore)[]) total[key] += s[key];
  return total;
}

/** Pooled character error rates: total edits over total truth characters. */
export const cer = (t: Totals) => ({
  withSpaces: t.length === 0 ? 0 : t.edits / t.length,
  noSpaces: t.lengthNoSpace === 0 ? 0 : t.editsNoSpace / t.lengthNoSpace,
});
