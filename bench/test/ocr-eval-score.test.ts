import { describe, expect, it } from 'vitest';
import { addScores, cer, editCounts, locate, scoreImage } from '../lib/ocr-eval/score.js';

const boxes = (...texts: string[]) => texts.map((text) => ({ text }));
const truth = ['Keep Calm and Deploy', 'Total due: $128.40'];

describe('editCounts', () => {
  it('tells dropped, inserted and substituted characters apart', () => {
    expect(editCounts('Committe', 'Committee')).toMatchObject({ edits: 1, dropped: 1, inserted: 0 });
    expect(editCounts('Commmittee', 'Committee')).toMatchObject({ edits: 1, dropped: 0, inserted: 1 });
    expect(editCounts('C0mmittee', 'Committee')).toMatchObject({ edits: 1, substitutions: 1 });
  });
});

describe('locate', () => {
  it('finds the best-matching span, a line break matching a space', () => {
    expect(locate('Calm and', 'Keep Calm and Deploy')).toEqual({ start: 5, end: 13, cost: 0 });
    expect(locate('Deploy Total', 'Keep Calm and Deploy\nTotal due')).toMatchObject({
      start: 14,
      end: 26,
      cost: 0,
    });
  });
});

describe('scoreImage', () => {
  it('is perfect for one box per line in order', () => {
    const s = scoreImage(boxes(...truth), truth);
    expect(s).toMatchObject({ edits: 0, exactLines: 2, splitLines: 0, mergedLines: 0, missedLines: 0 });
    expect(s.length).toBe(truth.join(' ').length - 1);
  });

  it('counts a line split into words; in reading order it costs nothing', () => {
    const s = scoreImage(boxes('Keep', 'Calm and Deploy', 'Total due: $128.40'), truth);
    expect(s).toMatchObject({ edits: 0, splitLines: 1 });
  });

  it('charges a split with an overlap, and a split out of order', () => {
    // "Keep" + "p Calm and Deploy": the overlapping crop reads a character twice.
    expect(scoreImage(boxes('Keep', 'p Calm and Deploy', truth[1] as string), truth)).toMatchObject({
      edits: 2,
      inserted: 2,
      splitLines: 1,
    });
    expect(scoreImage(boxes('Calm and Deploy', 'Keep', truth[1] as string), truth).edits).toBeGreaterThan(0);
  });

  it('counts merged lines, missed lines and spurious boxes', () => {
    expect(scoreImage(boxes('Keep Calm and Deploy Total due: $128.40'), truth)).toMatchObject({
      edits: 0,
      mergedLines: 1,
    });
    const missed = scoreImage(boxes('Keep Calm and Deploy'), truth);
    expect(missed).toMatchObject({ missedLines: 1, dropped: 18, edits: 18 });
    const spurious = scoreImage(boxes(...truth, 'zzqx'), truth);
    expect(spurious).toMatchObject({ spuriousBoxes: 1, inserted: 4, edits: 4 });
  });

  it('gives a repeated line, or a line inside another, to the box that reads it', () => {
    // "出口" occurs twice in "出口\n出口", and inside "安全出口": each box takes the first place still free.
    expect(scoreImage(boxes('出口', '出口'), ['出口', '出口'])).toMatchObject({ edits: 0, exactLines: 2 });
    expect(scoreImage(boxes('安全出口', '出口'), ['安全出口', '出口'])).toMatchObject({
      edits: 0,
      exactLines: 2,
    });
    // Read once, the second line is missed, not merged or split.
    expect(scoreImage(boxes('出口'), ['出口', '出口'])).toMatchObject({ missedLines: 1, edits: 2 });
  });

  it('scores spaces separately: a lost space costs nothing with spaces ignored', () => {
    const s = scoreImage(boxes('keep ofthe grass'), ['keep off the grass']);
    expect(s).toMatchObject({ edits: 2, editsNoSpace: 1, lengthNoSpace: 15 });
    const total = addScores([s, scoreImage(boxes('出口'), ['出口'])]);
    expect(cer(total).withSpaces).toBeCloseTo(2 / 20, 10);
    expect(cer(total).noSpaces).toBeCloseTo(1 / 17, 10);
  });
});
