import { describe, expect, it } from 'vitest';
import { characterErrorRate, normalizeText, pooledCer, readingOrderText, type TextBox } from '../lib/cer.js';

describe('characterErrorRate', () => {
  it('is 0 for a perfect read', () => {
    expect(characterErrorRate('Hello world', 'Hello world')).toEqual({ edits: 0, length: 11, cer: 0 });
  });

  it('counts a dropped space between words as one error', () => {
    const score = characterErrorRate('Helloworld', 'Hello world');
    expect(score.edits).toBe(1);
    expect(score.cer).toBeCloseTo(1 / 11, 10);
  });

  it('counts substitutions, insertions and deletions (Levenshtein)', () => {
    expect(characterErrorRate('kitten', 'sitting').edits).toBe(3);
    expect(characterErrorRate('', 'abcd')).toEqual({ edits: 4, length: 4, cer: 1 });
    expect(characterErrorRate('abcdef', 'abc').cer).toBe(1); // three invented characters over three
  });

  it('ignores line layout: line breaks and runs of spaces count as one space', () => {
    expect(characterErrorRate('one two\nthree', 'one  two three\n').edits).toBe(0);
    expect(normalizeText('  a \n\t b  ')).toBe('a b');
  });

  it('handles an empty reference without dividing by zero', () => {
    expect(characterErrorRate('', '').cer).toBe(0);
    expect(characterErrorRate('x', '').cer).toBe(1);
  });

  it('pools edits over reference characters across images', () => {
    const scores = [characterErrorRate('abc', 'abd'), characterErrorRate('hello world', 'hello world')];
    expect(pooledCer(scores)).toBeCloseTo(1 / 14, 10);
    expect(pooledCer([])).toBeNaN();
  });
});

describe('readingOrderText', () => {
  const box = (text: string, x: number, y: number, w = 40, h = 20): TextBox => ({
    text,
    x_min: x,
    y_min: y,
    x_max: x + w,
    y_max: y + h,
  });

  it('orders boxes into lines top to bottom, left to right within a line', () => {
    const boxes = [box('world', 60, 12), box('second', 10, 50), box('Hello', 10, 10), box('line', 70, 52)];
    expect(readingOrderText(boxes)).toBe('Hello world\nsecond line');
  });

  it('keeps slightly tilted words on one line but separates real lines', () => {
    const boxes = [box('a', 0, 100), box('b', 50, 106), box('c', 0, 130)];
    expect(readingOrderText(boxes)).toBe('a b\nc');
  });

  it('is empty for no boxes', () => {
    expect(readingOrderText([])).toBe('');
  });
});
