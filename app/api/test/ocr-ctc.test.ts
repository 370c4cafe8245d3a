import { describe, expect, it } from 'vitest';
import { ctcGreedyDecode, parseDictionary } from '../src/tasks/ocr/ctc.js';

// Classes: 0 blank, 1 'a', 2 'b', 3 'l', 4 ' '.
const labels = parseDictionary('a\nb\nl\n', true);

/** One row of probabilities per step: the given class gets `p`, the rest share what is left. */
function steps(classes: number[], p = 0.9): Float32Array {
  const n = labels.length;
  const out = new Float32Array(classes.length * n).fill((1 - p) / (n - 1));
  classes.forEach((c, t) => {
    out[t * n + c] = p;
  });
  return out;
}

describe('parseDictionary', () => {
  it('puts the blank first and the space last', () => {
    expect(labels).toEqual(['', 'a', 'b', 'l', ' ']);
  });

  it('accepts CRLF and a missing final newline, and omits the space class when asked', () => {
    expect(parseDictionary('x\r\ny', false)).toEqual(['', 'x', 'y']);
  });
});

describe('ctcGreedyDecode', () => {
  const decode = (probs: Float32Array, offset = 0, count = probs.length / labels.length) =>
    ctcGreedyDecode(probs, offset, count, labels.length, labels);

  it('merges repeats and drops blanks', () => {
    expect(decode(steps([0, 1, 1, 0, 2, 2, 2, 0])).text).toBe('ab');
  });

  it('keeps a doubled letter when a blank separates the repeats', () => {
    expect(decode(steps([1, 3, 3, 0, 3, 1])).text).toBe('alla');
  });

  it('keeps spaces between words and trims them at the ends', () => {
    expect(decode(steps([4, 1, 0, 4, 4, 2, 4, 1, 4])).text).toBe('a b a');
  });

  it('reads a blank step as a space when the space class reaches spaceThreshold', () => {
    const n = labels.length;
    // a, then a step mostly blank with 0.2 on the space, then b.
    const probs = steps([1, 0, 2]);
    probs[n] = 0.8;
    probs[n + 4] = 0.2;
    expect(decode(probs).text).toBe('ab');
    expect(ctcGreedyDecode(probs, 0, 3, n, labels, { spaceThreshold: 0.2 }).text).toBe('a b');
    expect(ctcGreedyDecode(probs, 0, 3, n, labels, { spaceThreshold: 0.25 }).text).toBe('ab');
    // Without a space class the threshold changes nothing.
    const noSpace = parseDictionary('a\nb\nl\n', false);
    expect(ctcGreedyDecode(probs, 0, 3, n, noSpace, { spaceThreshold: 0.1 }).text).toBe('ab');
  });

  it('reads one space for one gap, even when the space class peaks twice across blank steps', () => {
    const n = labels.length;
    // a, space, blank, blank with 0.2 on the space, space, b: one word gap.
    const probs = steps([1, 4, 0, 0, 4, 2]);
    probs[3 * n] = 0.8;
    probs[3 * n + 4] = 0.2;
    expect(decode(probs).text).toBe('a b');
    expect(ctcGreedyDecode(probs, 0, 6, n, labels, { spaceThreshold: 0.1 }).text).toBe('a b');
  });

  describe('spaceLineRatio', () => {
    const n = labels.length;
    /** Steps as a string: a, b, l are read at 0.9; "_" is a blank step; a digit d is a blank step (0.6 or more)
     * with d/10 on the space class; "S" is a step the space class wins (0.9). */
    function line(text: string): Float32Array {
      const out = new Float32Array(text.length * n);
      [...text].forEach((ch, t) => {
        const row = t * n;
        if (ch === 'S') out[row + 4] = 0.9;
        else if (ch === '_') out[row] = 1;
        else if (/\d/.test(ch)) {
          out[row + 4] = Number(ch) / 10;
          out[row] = 1 - Number(ch) / 10;
        } else out[row + labels.indexOf(ch)] = 0.9;
      });
      return out;
    }
    const decode = (probs: Float32Array, ratio: number) =>
      ctcGreedyDecode(probs, 0, probs.length / n, n, labels, {
        spaceThreshold: 0.05,
        lookAlike: 1,
        spaceLineRatio: ratio,
      }).text;
    it("drops a rescued space far fainter than the line's other spaces, and keeps the rest", () => {
      const text = line('a4b3l_4a1_1b');
      expect(decode(text, 0)).toBe('a b l a b');
      // Gaps 0.4, 0.3, 0.4, 0.1 (two blank steps read as one space): the median of the others of the 0.1 gap
      // is 0.4, so it stays at 0.2 (0.1 ≥ 0.08) and goes at 0.3 (0.1 < 0.12).
      expect(decode(text, 0.2)).toBe('a b l a b');
      expect(decode(text, 0.3)).toBe('a b l ab');
      // 0.3 against the median 0.4 of its others: kept at 0.5, dropped at 0.8.
      expect(decode(text, 0.5)).toBe('a b l ab');
      expect(decode(text, 0.8)).toBe('a bl ab');
    });

    it('takes the peak over the whole gap, and never drops a space the space class won', () => {
      // The last gap rises 0.1 -> 0.3 after the space was read: its peak, 0.3, is kept at 0.2 x 0.9.
      expect(decode(line('a9b9l9a1_3b'), 0.2)).toBe('a b l a b');
      // A gap the space class won somewhere is never dropped, however faint its peak against the others.
      expect(decode(line('a9b9l9aSb'), 0.99)).toBe('a b l a b');
      expect(decode(line('a9b9l9a1Sb'), 0.99)).toBe('a b l a b');
    });

    it("keeps a line's only space, and does not count the spaces at its ends", () => {
      expect(decode(line('a1b'), 0.9)).toBe('a b');
      // The leading and trailing gaps (0.9) are trimmed and do not vote: 0.1 is the only inner space.
      expect(decode(line('9a1b9'), 0.9)).toBe('a b');
    });
  });

  it('averages the probabilities of the kept characters only', () => {
    const n = labels.length;
    const probs = steps([0, 1, 1, 2]);
    probs[2 * n + 1] = 0.5; // a merged repeat: not counted
    probs[3 * n + 2] = 0.7;
    const result = decode(probs);
    expect(result.text).toBe('ab');
    expect(result.confidence).toBeCloseTo((0.9 + 0.7) / 2, 6);
  });

  it('returns empty text with confidence 0 for all blanks', () => {
    expect(decode(steps([0, 0, 0]))).toEqual({ text: '', confidence: 0 });
  });

  it('decodes one sequence out of a batch by offset', () => {
    const batch = new Float32Array([...steps([1, 0, 1]), ...steps([2, 3, 3])]);
    expect(decode(batch, 3 * labels.length, 3).text).toBe('bl');
    expect(decode(batch, 0, 3).text).toBe('aa');
  });

  describe('lookAlike', () => {
    // Classes: 0 blank, 1 'f', 2 'l', 3 'o', 4 'r', 5 '0', 6 '2', 7 '1', 8 ' '.
    const alike = parseDictionary('f\nl\no\nr\n0\n2\n1\n', true);
    const n = alike.length;
    /** Steps as [winner, p] or [winner, p, runner-up, p]; a blank after each. */
    function read(...cells: [number, number, number?, number?][]): Float32Array {
      const out = new Float32Array(cells.length * 2 * n);
      cells.forEach(([c, p, alt, altP], k) => {
        out[2 * k * n + c] = p;
        if (alt !== undefined) out[2 * k * n + alt] = altP as number;
        out[(2 * k + 1) * n] = 1;
      });
      return out;
    }
    const decode = (probs: Float32Array, ratio: number) =>
      ctcGreedyDecode(probs, 0, probs.length / n, n, alike, { spaceThreshold: 1, lookAlike: ratio }).text;

    it('gives an ambiguous glyph the kind of the rest of its word', () => {
      // "flo0r", the 0 at 0.58 with "o" at 0.38 (as PP-OCRv4 read it): "floor".
      const floor = read([1, 0.99], [2, 0.98], [3, 0.99], [5, 0.58, 3, 0.38], [4, 0.98]);
      expect(decode(floor, 0)).toBe('flo0r');
      expect(decode(floor, 0.5)).toBe('floor');
      expect(decode(floor, 0.7)).toBe('flo0r'); // 0.38 < 0.7 x 0.58: the winner stands
      // "2l" with "1" close: a number.
      expect(decode(read([6, 0.99], [2, 0.6, 7, 0.35]), 0.5)).toBe('21');
    });

    it('leaves mixed words, clear reads and lone characters alone', () => {
      // "f0" + "2": the other characters disagree (a letter and a digit), so the 0 stays.
      expect(decode(read([1, 0.9], [5, 0.6, 3, 0.4], [6, 0.9]), 0.5)).toBe('f02');
      // A space ends the word: "0" alone has no neighbours to follow.
      expect(decode(read([1, 0.9], [8, 0.9], [5, 0.6, 3, 0.4]), 0.5)).toBe('f 0');
      // Doubtful neighbours do not vote: "f", then two doubtful 0s, then "r" -> both follow the letters.
      expect(decode(read([1, 0.9], [5, 0.6, 3, 0.4], [5, 0.6, 3, 0.4], [4, 0.9]), 0.5)).toBe('foor');
    });
  });
});
