// model.json schema for `task: "ocr"`: a text detector (DB) and a CTC text recogniser, PaddleOCR style.
import { z } from 'zod';
import { baseManifest, fileRef, normalization } from '../../models/manifest-base.js';

const detection = z.strictObject({
  /** The longer side is scaled down to at most this many pixels; sides are rounded to multiples of 32. */
  maxSide: z.number().int().min(32).max(8192).default(960),
  /** A pixel is text when the probability map exceeds this. */
  threshold: z.number().gt(0).lt(1).default(0.3),
  /** A region is kept when its mean probability reaches this. */
  boxThreshold: z.number().gt(0).lt(1).default(0.6),
  /** DB regions are shrunk text; each side is grown by area × ratio / perimeter. */
  unclipRatio: z.number().positive().max(10).default(1.5),
  /** Regions whose shorter side (in probability-map pixels) is smaller are dropped. */
  minBoxSize: z.number().positive().default(3),
  maxCandidates: z.number().int().positive().default(1000),
  normalization: normalization.default({
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    scale: 1 / 255,
  }),
});

const recognition = z.strictObject({
  /** Crops are resized to this height, keeping their aspect ratio. */
  height: z.number().int().min(8).max(256).default(48),
  /**
   * Crops are stretched horizontally by this factor on top of their aspect ratio (1: PaddleOCR's resize). The
   * recogniser emits one CTC step per 8 columns; a doubled letter needs three (letter, blank, letter), which
   * condensed type at 48 px does not leave. See models/README.md for the figures.
   */
  widthScale: z.number().min(0.5).max(3).default(1),
  /**
   * The character pitch the recogniser reads best, in CTC steps per character column (a CJK character is two
   * columns). A line whose first read is more crowded than `target / (1 + tolerance)` is cropped again, stretched
   * to `target`, and read again: condensed type leaves too few steps for a doubled letter (it needs three: letter,
   * blank, letter). 0 turns it off.
   */
  pitch: z
    .strictObject({ target: z.number().min(0).max(16), tolerance: z.number().positive().max(4) })
    .default({ target: 0, tolerance: 0.25 }),
  /** Narrower batches are padded to this width (PaddleOCR's rec_image_shape 3 × 48 × 320): short words read better. */
  minWidth: z.number().int().min(0).max(16384).default(320),
  /** Longer crops are squeezed to this width. */
  maxWidth: z.number().int().min(16).max(16384).default(3200),
  /** Extra crop height above and below each box, as a fraction of its height (0 = PaddleOCR's tight crop). */
  cropMargin: z.number().min(0).max(1).default(0),
  /** Crops per recognition run on a GPU; crops are sorted by width so a batch pads little. */
  batchSize: z.number().int().min(1).max(64).default(8),
  /**
   * Crops per run on the CPU provider. onnxruntime's CPU kernels gain nothing from batching this recogniser
   * and pay for the larger activations: one crop at a time measured ~40% less CPU time than batches of 8.
   */
  cpuBatchSize: z.number().int().min(1).max(64).default(1),
  /** The model has one extra class after the dictionary for " " (PaddleOCR `use_space_char`). */
  spaceChar: z.boolean().default(true),
  /**
   * A CTC step whose best class is the blank reads as a space when the space class reaches this probability
   * (1: plain greedy decoding, PaddleOCR's). See ctcGreedyDecode and models/README.md for the figures.
   */
  spaceThreshold: z.number().gt(0).max(1).default(1),
  /**
   * A space read only through `spaceThreshold` (the blank won every step of its gap) is dropped when the space
   * class's peak over the gap is under this fraction of the median peak of the line's other spaces (0: kept).
   * See ctcGreedyDecode and models/README.md for the figures.
   */
  spaceLineRatio: z.number().min(0).max(1).default(0),
  /**
   * A letter read where a look-alike digit came this close (runner-up ≥ `lookAlike` × winner), or the reverse,
   * follows the other letters and digits of its word ("flo0r" -> "floor", "2l:45" -> "21:45"). 0: off
   * (PaddleOCR's). See ctcGreedyDecode and models/README.md for the figures.
   */
  lookAlike: z.number().min(0).max(1).default(0),
  normalization: normalization.default({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255 }),
});

const lines = z.strictObject({
  /**
   * Detector boxes on one text line, with a gap under this many times their height, are read as one crop (0: each
   * box alone). Wide word gaps (monospace, justified text) split DB's regions; the recogniser puts the spaces back.
   */
  maxGap: z.number().min(0).max(20).default(2),
  /** Boxes whose heights differ by more than this factor are never one line. */
  maxHeightRatio: z.number().min(1).max(10).default(1.5),
  /**
   * Each line is lengthened by this fraction of its height at both ends before it is read and returned: DB's
   * regions end close to the last glyph's core, and a final full stop or comma falls off (0: PaddleOCR's box).
   */
  endMargin: z.number().min(0).max(2).default(0),
});

/** The optional text-direction classifier (PaddleOCR's angle classifier: 0° / 180°), on when `files.direction` is given. */
const direction = z.strictObject({
  /** Crops are resized to this height, keeping their aspect ratio, squeezed to at most `width` and padded to it. */
  height: z.number().int().min(8).max(256).default(48),
  width: z.number().int().min(8).max(2048).default(192),
  /** A line is turned 180° when the classifier's 180° probability exceeds this (PaddleOCR's cls_thresh). */
  threshold: z.number().gt(0).lt(1).default(0.9),
  /** Crops per classifier run (PaddleOCR's cls_batch_num). */
  batchSize: z.number().int().min(1).max(64).default(6),
  normalization: normalization.default({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255 }),
});

export const ocrManifest = baseManifest.extend({
  task: z.literal('ocr'),
  files: z.strictObject({
    detection: fileRef,
    recognition: fileRef,
    /** One character per line; line k is class k (class 0 is the CTC blank). */
    dictionary: fileRef,
    /** Text-direction classifier (0° / 180°); without it every line is read as the crop step turns it. */
    direction: fileRef.optional(),
  }),
  /** Channel order the networks were trained on (PaddleOCR reads images with OpenCV, hence BGR). */
  channelOrder: z.enum(['rgb', 'bgr']).default('bgr'),
  detection: detection.default(detection.parse({})),
  recognition: recognition.default(recognition.parse({})),
  lines: lines.default(lines.parse({})),
  direction: direction.default(direction.parse({})),
  /** Lines recognised with a lower mean character confidence are dropped, unless the request says otherwise. */
  confidence: z.number().min(0).max(1).default(0.5),
});

export type OcrManifest = z.infer<typeof ocrManifest>;
export type DetectionSettings = OcrManifest['detection'];
export type RecognitionSettings = OcrManifest['recognition'];
export type DirectionSettings = OcrManifest['direction'];
export type Normalization = DetectionSettings['normalization'];
export type ChannelOrder = OcrManifest['channelOrder'];
