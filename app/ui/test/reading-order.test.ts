import { describe, expect, it } from 'vitest';
import { readingOrder } from '../web/src/reading-order.js';

const word = (text: string, x: number, y: number, w = 60, h = 20) => ({
  text,
  class_name: 'text',
  x_min: x,
  y_min: y,
  x_max: x + w,
  y_max: y + h,
});

describe('readingOrder', () => {
  it('joins boxes on one line left to right, and lines top to bottom', () => {
    const receipt = [
      word('2.49', 300, 102),
      word('Milk', 20, 100),
      word('CORNER MARKET', 20, 40, 200),
      word('TOTAL', 20, 160),
    ];
    expect(readingOrder(receipt)).toBe('CORNER MARKET\nMilk 2.49\nTOTAL');
  });

  it('keeps slightly tilted words of a line together, and a close next line apart', () => {
    expect(readingOrder([word('b', 100, 106), word('a', 20, 100), word('c', 20, 125)])).toBe('a b\nc');
  });

  it('skips detections without text (detect, classify)', () => {
    expect(readingOrder([{ class_name: 'person', x_min: 0, y_min: 0, x_max: 5, y_max: 5 }])).toBe('');
  });
});
