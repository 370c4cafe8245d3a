import { describe, expect, it } from 'vitest';
import { SYNTHETIC_YOLO, syntheticYoloV8Output } from '../lib/tasks.js';

describe('syntheticYoloV8Output', () => {
  const spec = { inputSize: 640, classes: 3, candidates: 50, objects: 4, perObject: 5 };
  const { dims, values } = syntheticYoloV8Output(spec);
  const n = spec.candidates;
  const at = (channel: number, j: number) => values[channel * n + j] as number;
  const bestScore = (j: number) => Math.max(...[0, 1, 2].map((c) => at(4 + c, j)));

  it('has the YOLOv8/11 layout [4 + classes, candidates], channel-major', () => {
    expect(dims).toEqual([7, 50]);
    expect(values).toHaveLength(7 * 50);
  });

  it('reports each object with perObject overlapping candidates of one class, over the 0.25 default', () => {
    const confident = Array.from({ length: n }, (_, j) => j).filter((j) => bestScore(j) >= 0.25);
    expect(confident).toEqual(Array.from({ length: 20 }, (_, j) => j));
    for (let object = 0; object < spec.objects; object++) {
      const members = [0, 1, 2, 3, 4].map((k) => object * spec.perObject + k);
      for (const j of members) {
        expect(at(4 + (object % spec.classes), j)).toBeGreaterThanOrEqual(0.5);
        // Centres within the ±4 px jitter of the object's first candidate: NMS merges them.
        const first = members[0] as number;
        expect(Math.abs(at(0, j) - at(0, first))).toBeLessThanOrEqual(8);
        expect(Math.abs(at(1, j) - at(1, first))).toBeLessThanOrEqual(8);
      }
    }
  });

  it('keeps every box inside the network input and background scores under 0.2', () => {
    for (let j = 0; j < n; j++) {
      expect(at(0, j)).toBeGreaterThanOrEqual(-4);
      expect(at(0, j)).toBeLessThanOrEqual(644);
      expect(at(2, j)).toBeGreaterThan(0);
      if (j >= 20) expect(bestScore(j)).toBeLessThan(0.2);
    }
  });

  it('is the same every run, and refuses more object candidates than candidates', () => {
    expect(syntheticYoloV8Output(spec).values).toEqual(values);
    expect(() => syntheticYoloV8Output({ ...spec, objects: 11 })).toThrow(RangeError);
    expect(syntheticYoloV8Output(SYNTHETIC_YOLO).dims).toEqual([84, 8400]);
  });
});
