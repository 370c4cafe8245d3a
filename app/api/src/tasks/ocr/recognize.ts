// Runs the recogniser over detected boxes: crop + deskew, width-sorted batches, CTC decode.
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import type { RgbImage } from '../types.js';
import { ctcGreedyDecode, type DecodedText } from './ctc.js';
import type { TextBox } from './db-postprocess.js';
import type { ChannelOrder, RecognitionSettings } from './manifest.js';
import { cropForRecognition, packBatch, widthSortedBatches } from './recognition.js';

export interface Recognizer {
  session: InferenceSession;
  settings: RecognitionSettings;
  order: ChannelOrder;
  /** Class labels, blank first (see parseDictionary). */
  labels: readonly string[];
  batchSize: number;
}

/** Text and confidence for each box, in the boxes' order; undefined for boxes left when `shouldStop` said so
 * (it is asked before each batch). */
export async function recognizeBoxes(
  { session, settings, order, labels, batchSize }: Recognizer,
  image: RgbImage,
  boxes: readonly TextBox[],
  shouldStop: () => boolean = () => false,
): Promise<(DecodedText | undefined)[]> {
  const crops = boxes.map((box) => cropForRecognition(image, box.quad, settings));
  const results: (DecodedText | undefined)[] = new Array(boxes.length);
  for (const batch of widthSortedBatches(
    crops.map((c) => c.width),
    batchSize,
  )) {
    if (shouldStop()) break;
    const { data, dims } = packBatch(
      batch.map((i) => crops[i] as RgbImage),
      settings.normalization,
      order,
      settings.minWidth,
    );
    const outputs = await session.run({
      [session.inputNames[0] as string]: new Tensor('float32', data, dims),
    });
    const probs = outputs[session.outputNames[0] as string] as Tensor;
    const [, steps, classes] = probs.dims as [number, number, number];
    const values = probs.data as Float32Array;
    batch.forEach((index, n) => {
      results[index] = ctcGreedyDecode(values, n * steps * classes, steps, classes, labels);
    });
    probs.dispose();
  }
  return results;
}
