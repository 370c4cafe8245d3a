// PaddleOCR's text-direction classifier (`use_angle_cls`): each line's crop, as the recogniser would see it, is
// classified 0° or 180°, so that a page photographed upside down, or turned 90° counter-clockwise (whose tall
// lines crop.ts turns as if clockwise), is read the right way up and in its own order (lines.ts).
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import type { RgbImage } from '../types.js';
import { isTall, quadSize } from './crop.js';
import type { Point, Quad } from './geometry.js';
import type { ChannelOrder, DirectionSettings } from './manifest.js';
import { writeNormalized } from './preprocess.js';
import { cropForRecognition } from './recognition.js';

export interface DirectionClassifier {
  session: InferenceSession;
  settings: DirectionSettings;
  order: ChannelOrder;
}

/**
 * For each quad, whether its text is upside down: the classifier's 180° probability above `threshold`
 * (PaddleOCR's cls_thresh), or, for a line it is unsure of (probability between 1 − threshold and threshold),
 * the verdict of the lines it is sure of, weighted by length: a page is turned as a whole, and a line such as
 * "jumps over the lazy dog" upside down scores only ~0.8. Quads left when `shouldStop` says so (asked before each
 * batch) count as upright.
 */
export async function upsideDown(
  { session, settings, order }: DirectionClassifier,
  image: RgbImage,
  quads: readonly Quad[],
  shouldStop: () => boolean = () => false,
): Promise<boolean[]> {
  const { height, width, batchSize, threshold, normalization } = settings;
  const windows = quads.flatMap((quad, line) =>
    windowsOf(quad, width / height).map((window) => ({ window, line })),
  );
  const sums = new Array<number>(quads.length).fill(0);
  const counts = new Array<number>(quads.length).fill(0);
  const plane = height * width;
  for (let start = 0; start < windows.length; start += batchSize) {
    if (shouldStop()) break;
    const batch = windows.slice(start, start + batchSize);
    // Each crop at the classifier's height, its width up to `width`, left-aligned and padded with zeros (the
    // normalised mean), as PaddleOCR's resize_norm_img.
    const data = new Float32Array(batch.length * 3 * plane);
    batch.forEach(({ window }, n) => {
      const crop = cropForRecognition(image, window, {
        height,
        maxWidth: width,
        cropMargin: 0,
        widthScale: 1,
      });
      writeNormalized(crop, normalization, order, data, n * 3 * plane, width, plane);
    });
    const outputs = await session.run({
      [session.inputNames[0] as string]: new Tensor('float32', data, [batch.length, 3, height, width]),
    });
    const probs = outputs[session.outputNames[0] as string] as Tensor;
    const values = probs.data as Float32Array;
    // Two classes per crop: 0° then 180°.
    batch.forEach(({ line }, n) => {
      sums[line] = (sums[line] as number) + (values[2 * n + 1] as number);
      counts[line] = (counts[line] as number) + 1;
    });
    probs.dispose();
  }
  const scores = sums.map((sum, i) => (counts[i] ? sum / (counts[i] as number) : 0));
  let vote = 0;
  scores.forEach((p, i) => {
    const { width, height } = quadSize(quads[i] as Quad);
    if (p > threshold) vote += Math.max(width, height);
    else if (p < 1 - threshold) vote -= Math.max(width, height);
  });
  return scores.map((p) => p > threshold || (p >= 1 - threshold && vote > 0));
}

/** At most this many windows of a long line are classified (its start, end and middle). */
const MAX_WINDOWS = 3;

/**
 * Windows of the classifier's aspect ratio along a line, in reading direction, spread evenly over it (the whole
 * quad when it is no longer). PaddleOCR squeezes a long line into 192 px, and at 30:1 the glyphs are too thin to
 * tell: a long upright page line scored 0.995 for 180°.
 */
function windowsOf(quad: Quad, aspect: number): Quad[] {
  const { width, height } = quadSize(quad);
  const tall = isTall({ width, height });
  const [length, thickness] = tall ? [height, width] : [width, height];
  const count = Math.min(MAX_WINDOWS, Math.ceil(length / (aspect * thickness)));
  if (count <= 1) return [quad];
  const span = (aspect * thickness) / length;
  const [p0, p1, p2, p3] = quad;
  // The two long sides, from the start of the text: top and bottom edges, or (tall) the left and right edges.
  const [a0, a1, b0, b1] = tall ? [p1, p2, p0, p3] : [p0, p1, p3, p2];
  const at = (p: Point, q: Point, t: number): Point => [p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t];
  return Array.from({ length: count }, (_, k) => {
    const t0 = ((1 - span) * k) / (count - 1);
    const t1 = t0 + span;
    return tall
      ? [at(b0, b1, t0), at(a0, a1, t0), at(a0, a1, t1), at(b0, b1, t1)]
      : [at(a0, a1, t0), at(a0, a1, t1), at(b0, b1, t1), at(b0, b1, t0)];
  });
}

/** The same quad with its corners renamed so that the crop comes out turned 180°. */
export const turnHalf = (q: Quad): Quad => [q[2], q[3], q[0], q[1]];
