// PaddleOCR's text-direction classifier (`use_angle_cls`): each line's crop, as the recogniser would see it, is
// classified 0° or 180°, so that a page photographed upside down, or turned 90° counter-clockwise (whose tall
// lines crop.ts turns as if clockwise), is read the right way up and in its own order (lines.ts).
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import type { RgbImage } from '../types.js';
import { quadSize } from './crop.js';
import type { Quad } from './geometry.js';
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
  const scores = new Array<number>(quads.length).fill(0);
  const plane = height * width;
  for (let start = 0; start < quads.length; start += batchSize) {
    if (shouldStop()) break;
    const batch = quads.slice(start, start + batchSize);
    // Each crop at the classifier's height, its width up to `width` (squeezed beyond), left-aligned and padded
    // with zeros (the normalised mean), as PaddleOCR's resize_norm_img.
    const data = new Float32Array(batch.length * 3 * plane);
    batch.forEach((quad, n) => {
      const crop = cropForRecognition(image, quad, { height, maxWidth: width, cropMargin: 0, widthScale: 1 });
      writeNormalized(crop, normalization, order, data, n * 3 * plane, width, plane);
    });
    const outputs = await session.run({
      [session.inputNames[0] as string]: new Tensor('float32', data, [batch.length, 3, height, width]),
    });
    const probs = outputs[session.outputNames[0] as string] as Tensor;
    const values = probs.data as Float32Array;
    // Two classes per crop: 0° then 180°.
    batch.forEach((_, n) => {
      scores[start + n] = values[2 * n + 1] as number;
    });
    probs.dispose();
  }
  let vote = 0;
  scores.forEach((p, i) => {
    const { width, height } = quadSize(quads[i] as Quad);
    if (p > threshold) vote += Math.max(width, height);
    else if (p < 1 - threshold) vote -= Math.max(width, height);
  });
  return scores.map((p) => p > threshold || (p >= 1 - threshold && vote > 0));
}

/** The same quad with its corners renamed so that the crop comes out turned 180°. */
export const turnHalf = (q: Quad): Quad => [q[2], q[3], q[0], q[1]];
