// Runs the recogniser over detected lines: crop + deskew, width-sorted batches, CTC decode, and a second read of
// the lines whose characters came out too crowded for the recogniser's time steps.
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import type { SpareBuffer } from '../spare-buffer.js';
import type { RgbImage } from '../types.js';
import { ctcGreedyDecode, ctcTopKDecode, type DecodedText } from './ctc.js';
import type { CtcTopOutputs } from './ctc-graph.js';
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
  /** The session's appended top-k outputs (ctc-graph.ts), fetched instead of the full probabilities. */
  top?: CtcTopOutputs;
  /** The batch input buffer, kept from one batch to the next. */
  input: SpareBuffer;
}

interface Read extends DecodedText {
  /** CTC time steps that cover the crop itself (not the batch padding). */
  steps: number;
}

/** Text and confidence for each box, in the boxes' order; undefined for boxes left when `shouldStop` said so
 * (it is asked before each batch). */
export async function recognizeBoxes(
  recognizer: Recognizer,
  image: RgbImage,
  boxes: readonly TextBox[],
  shouldStop: () => boolean = () => false,
): Promise<(DecodedText | undefined)[]> {
  const { settings } = recognizer;
  const crop = (box: TextBox, widthScale: number) =>
    cropForRecognition(image, box.quad, { ...settings, widthScale: settings.widthScale * widthScale });
  const reads = await readCrops(
    recognizer,
    boxes.map((box) => crop(box, 1)),
    shouldStop,
  );
  const { target, tolerance } = settings.pitch;
  if (target === 0) return reads;
  // Lines read crowded (fewer steps per character than the target allows) are cropped again, stretched to the
  // target, and read again. Only stretched: squeezing wide type makes an "O" look like a "0".
  const pitchOf = (read: Read | undefined) => (read === undefined ? undefined : stepsPerColumn(read));
  const again = reads.flatMap((read, i) => {
    const pitch = pitchOf(read);
    return pitch !== undefined && pitch < target / (1 + tolerance) ? [i] : [];
  });
  if (again.length === 0) return reads;
  const rereads = await readCrops(
    recognizer,
    again.map((i) => crop(boxes[i] as TextBox, target / (pitchOf(reads[i]) as number))),
    shouldStop,
  );
  // A re-read cut short by `shouldStop` keeps the first read.
  again.forEach((i, k) => {
    reads[i] = rereads[k] ?? reads[i];
  });
  return reads;
}

// East Asian wide characters (CJK, Hangul, full-width forms) take two columns, as in a terminal (wcwidth).
const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

/** CTC steps per character column of the text read, or undefined for too little text to judge. */
function stepsPerColumn(read: Read): number | undefined {
  let columns = 0;
  for (const ch of read.text) columns += WIDE.test(ch) ? 2 : 1;
  return columns < 4 ? undefined : read.steps / columns;
}

/** Reads the crops in width-sorted batches; undefined for crops left when `shouldStop` said so. */
async function readCrops(
  recognizer: Recognizer,
  crops: readonly RgbImage[],
  shouldStop: () => boolean,
): Promise<(Read | undefined)[]> {
  const { session, settings, order, batchSize, input } = recognizer;
  const results: (Read | undefined)[] = new Array(crops.length);
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
      input,
    );
    const feeds = { [session.inputNames[0] as string]: new Tensor('float32', data, dims) };
    const reads = await decodeBatch(recognizer, feeds, batch.length).finally(() => input.give(data));
    batch.forEach((index, n) => {
      const read = reads[n] as Read;
      // The steps that cover the crop itself, not the batch's padding.
      results[index] = { ...read, steps: ((crops[index] as RgbImage).width * read.steps) / dims[3] };
    });
  }
  return results;
}

/** One batch run and its decoded texts, with the CTC steps of the whole (padded) batch width. */
async function decodeBatch(
  { session, settings, labels, top }: Recognizer,
  feeds: InferenceSession.FeedsType,
  count: number,
): Promise<Read[]> {
  const reads: Read[] = [];
  if (!top) {
    const outputs = await session.run(feeds);
    const probs = outputs[session.outputNames[0] as string] as Tensor;
    const [, steps, classes] = probs.dims as [number, number, number];
    const values = probs.data as Float32Array;
    for (let n = 0; n < count; n++) {
      const decoded = ctcGreedyDecode(values, n * steps * classes, steps, classes, labels, settings);
      reads.push({ ...decoded, steps });
    }
    probs.dispose();
    return reads;
  }
  const outputs = await session.run(feeds, [top.values, top.indices, ...(top.space ? [top.space] : [])]);
  const values = outputs[top.values] as Tensor;
  const classes = outputs[top.indices] as Tensor;
  const space = top.space ? (outputs[top.space] as Tensor) : undefined;
  const [, steps, k] = values.dims as [number, number, number];
  for (let n = 0; n < count; n++) {
    const decoded = ctcTopKDecode(
      {
        values: values.data as Float32Array,
        classes: classes.data as BigInt64Array,
        k,
        offset: n * steps * k,
      },
      space && { values: space.data as Float32Array, offset: n * steps },
      steps,
      labels,
      settings,
    );
    reads.push({ ...decoded, steps });
  }
  return reads;
}
