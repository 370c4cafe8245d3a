// The recogniser's appended top-k outputs (src/tasks/ocr/ctc-graph.ts) read exactly what a scan of its full
// softmax reads: on small models with ties, and on the real PP-OCRv4 recogniser over rendered text.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSet } from '../../../bench/lib/ocr-eval/generate.js';
import { decodeToRgb, textFixture, textFixtureNames } from '../../../test/fixtures/text-images.js';
import { resolveFileRef } from '../src/models/manifest-base.js';
import {
  ctcGreedyDecode,
  ctcTopKDecode,
  type DecodedText,
  parseDictionary,
  spaceClass,
} from '../src/tasks/ocr/ctc.js';
import { CTC_TOP_K, type CtcSession, openCtcSession } from '../src/tasks/ocr/ctc-graph.js';
import type { TextBox } from '../src/tasks/ocr/db-postprocess.js';
import type { Quad } from '../src/tasks/ocr/geometry.js';
import { type OcrManifest, ocrTask } from '../src/tasks/ocr/index.js';
import { type Recognizer, recognizeBoxes } from '../src/tasks/ocr/recognize.js';
import { SpareBuffer } from '../src/tasks/spare-buffer.js';
import type { RgbImage } from '../src/tasks/types.js';
import { buildOnnxModel, type NodeSpec } from './helpers/onnx-builder.js';

const options: InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
let dir = '';
const opened: InferenceSession[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modelship-ctc-graph-'));
});
afterAll(async () => {
  for (const session of opened) await session.release();
  await rm(dir, { recursive: true, force: true });
});

/** A session on the model at `path` with the top-k outputs appended when it fits them (5 classes unless told). */
async function open(path: string, space: number | undefined, count = 5): Promise<CtcSession> {
  const ctc = await openCtcSession(path, { count, space }, options);
  opened.push(ctc.session);
  return ctc;
}

/** `logits [B, T, C]` -> one node (a softmax unless told) -> `probs`, saved to a file. */
async function tinyModel(name: string, node: Omit<NodeSpec, 'inputs' | 'outputs'>, opset: number, rank = 3) {
  const shape = ['batch', 'steps', 5].slice(3 - rank);
  const file = join(dir, `${name}.onnx`);
  await writeFile(
    file,
    buildOnnxModel({
      inputs: [{ name: 'logits', shape }],
      outputs: [{ name: 'probs', shape }],
      nodes: [{ ...node, inputs: ['logits'], outputs: ['probs'] }],
      opset,
    }),
  );
  return file;
}

// Classes: 0 blank, 1 'a', 2 '1', 3 'l', 4 ' '.
const labels = parseDictionary('a\n1\nl\n', true);

/** Logits with exact ties, so that both readers must break them the same way: blank and 'a' tied, 'a' and '1'
 * tied, 'l' and '1' tied for the runner-up behind the blank, the space tied with a letter. */
const TIED_LOGITS = [
  [2, 2, 0, 0, 1],
  [0, 3, 3, 1, 0],
  [4, 0, 2, 2, 0],
  [1, 0, 0, 0, 1],
  [0, 1, 1, 3, 0],
  [3, 0, 0, 0, 2.5],
  [0, 0, 2, 2, 2],
];

describe('appended top-k outputs on small models', () => {
  it.each([9, 13])('read what the full softmax reads, ties included (opset %i)', async (opset) => {
    const file = await tinyModel(`softmax-${opset}`, { op: 'Softmax', attrs: { axis: 2 } }, opset);
    const ctc = await open(file, spaceClass(labels));
    expect(ctc.fallback).toBeUndefined();
    const top = ctc.top as NonNullable<CtcSession['top']>;
    const batch = [TIED_LOGITS, [...TIED_LOGITS].reverse()];
    const steps = TIED_LOGITS.length;
    const input = new Tensor('float32', Float32Array.from(batch.flat(2)), [2, steps, 5]);
    const out = await ctc.session.run({ logits: input });
    const probs = (out.probs as Tensor).data as Float32Array;
    const values = (out[top.values] as Tensor).data as Float32Array;
    const classes = (out[top.indices] as Tensor).data as BigInt64Array;
    const space = (out[top.space as string] as Tensor).data as Float32Array;
    // The winner of each step is its first best class, as a scan keeps it.
    for (let s = 0; s < 2 * steps; s++) {
      const row = Array.from(probs.subarray(s * 5, s * 5 + 5));
      expect(Number(classes[s * CTC_TOP_K])).toBe(row.indexOf(Math.max(...row)));
    }
    for (const [threshold, lookAlike, lineRatio] of [
      [1, 0, 0],
      [0.1, 0.5, 0],
      [0.3, 0.9, 0],
      [0.1, 0.5, 0.9],
    ] as const) {
      for (let n = 0; n < 2; n++) {
        const rules = { spaceThreshold: threshold, lookAlike, spaceLineRatio: lineRatio };
        const full = ctcGreedyDecode(probs, n * steps * 5, steps, 5, labels, rules);
        const reduced = ctcTopKDecode(
          { values, classes, k: CTC_TOP_K, offset: n * steps * CTC_TOP_K },
          { values: space, offset: n * steps },
          steps,
          labels,
          rules,
        );
        expect(reduced).toEqual(full);
      }
    }
  });

  it('k = 3 is needed: the runner-up behind a letter and the blank is the third class', () => {
    // 'a' wins, the blank is second, '1' third: lookAlike swaps 'a' for '1' between digits.
    const p = Float32Array.from(
      [
        [0.05, 0, 0.9, 0, 0.05],
        [0.3, 0.4, 0.2, 0.05, 0.05],
        [0.05, 0, 0.9, 0, 0.05],
      ].flat(),
    );
    const full = ctcGreedyDecode(p, 0, 3, 5, labels, { spaceThreshold: 1, lookAlike: 0.4 });
    expect(full.text).toBe('111');
    const sorted = [0, 1, 2].map((t) =>
      [0, 1, 2, 3, 4]
        .sort((a, b) => (p[t * 5 + b] as number) - (p[t * 5 + a] as number) || a - b)
        .slice(0, 3),
    );
    const reduced = ctcTopKDecode(
      {
        values: Float32Array.from(sorted.flatMap((row, t) => row.map((c) => p[t * 5 + c] as number))),
        classes: BigInt64Array.from(sorted.flat().map(BigInt)),
        k: 3,
        offset: 0,
      },
      { values: Float32Array.from([0, 1, 2].map((t) => p[t * 5 + 4] as number)), offset: 0 },
      3,
      labels,
      { spaceThreshold: 1, lookAlike: 0.4 },
    );
    expect(reduced).toEqual(full);
  });

  it('leaves out the space output without a space class', async () => {
    const file = await tinyModel('no-space', { op: 'Softmax', attrs: { axis: -1 } }, 13);
    const ctc = await open(file, undefined);
    expect(ctc.top?.space).toBeUndefined();
    expect(ctc.session.outputNames).toEqual(['probs', ctc.top?.values, ctc.top?.indices]);
  });

  it.each([
    ['not a softmax', { op: 'Relu' }, 13, 3, /not a softmax/],
    ['a softmax over the wrong axis', { op: 'Softmax', attrs: { axis: 1 } }, 13, 3, /not a softmax/],
    ['a softmax whose opset-9 default axis is 1', { op: 'Softmax' }, 9, 3, /not a softmax/],
    ['not rank 3', { op: 'Softmax', attrs: { axis: -1 } }, 13, 2, /not a rank-3 float tensor/],
  ] as const)(
    'falls back to the model as it is when its output is %s',
    async (name, node, opset, rank, why) => {
      const ctc = await open(await tinyModel(name.replace(/\W+/g, '-'), node, opset, rank), 4);
      expect(ctc.top).toBeUndefined();
      expect(ctc.fallback).toMatch(why);
      expect(ctc.session.outputNames).toEqual(['probs']);
    },
  );

  it('falls back for fewer than 3 classes (TopK would fail on the first run)', async () => {
    const file = await tinyModel('two-classes', { op: 'Softmax', attrs: { axis: -1 } }, 13);
    const ctc = await open(file, undefined, 2);
    expect(ctc.top).toBeUndefined();
    expect(ctc.fallback).toMatch(/fewer than 3 classes/);
  });

  it('falls back when onnxruntime refuses the appended graph (a name already taken)', async () => {
    const file = join(dir, 'taken.onnx');
    await writeFile(
      file,
      buildOnnxModel({
        inputs: [{ name: 'logits', shape: ['batch', 'steps', 5] }],
        outputs: [{ name: 'probs', shape: ['batch', 'steps', 5] }],
        nodes: [
          { op: 'Relu', inputs: ['logits'], outputs: ['modelship_ctc/top_values'] },
          { op: 'Softmax', inputs: ['modelship_ctc/top_values'], outputs: ['probs'], attrs: { axis: -1 } },
        ],
      }),
    );
    const ctc = await open(file, 4);
    expect(ctc.top).toBeUndefined();
    expect(ctc.fallback).toBeTruthy();
  });
});

describe('an OCR model whose recogniser ends without a softmax', () => {
  it('loads, reads through the full output, and says so in the load log', async () => {
    const modelDir = join(dir, 'plain-ocr');
    await mkdir(modelDir);
    // Detector: the mean of the channels through a sigmoid (the white page is one region). Recogniser: per
    // column, the mean of each channel plus (0, 1, 0) as the scores of blank, "a" and space: it reads "a".
    await writeFile(
      join(modelDir, 'det.onnx'),
      buildOnnxModel({
        inputs: [{ name: 'x', shape: ['b', 3, 'h', 'w'] }],
        outputs: [{ name: 'map', shape: ['b', 1, 'h', 'w'] }],
        nodes: [
          { op: 'ReduceMean', inputs: ['x'], outputs: ['mean'], attrs: { axes: [1], keepdims: 1 } },
          { op: 'Sigmoid', inputs: ['mean'], outputs: ['map'] },
        ],
      }),
    );
    await writeFile(
      join(modelDir, 'rec.onnx'),
      buildOnnxModel({
        inputs: [{ name: 'x', shape: ['b', 3, 48, 'w'] }],
        outputs: [{ name: 'scores', shape: ['b', 'steps', 3] }],
        nodes: [
          { op: 'ReduceMean', inputs: ['x'], outputs: ['columns'], attrs: { axes: [2], keepdims: 0 } },
          { op: 'Transpose', inputs: ['columns'], outputs: ['steps'], attrs: { perm: [0, 2, 1] } },
          { op: 'Add', inputs: ['steps', 'bias'], outputs: ['biased'] },
          { op: 'Relu', inputs: ['biased'], outputs: ['scores'] },
        ],
        initializers: [{ name: 'bias', dims: [3], values: [0, 1, 0] }],
      }),
    );
    await writeFile(join(modelDir, 'dict.txt'), 'a\n');
    const manifest = ocrTask.manifestSchema.parse({
      name: 'plain-ocr',
      task: 'ocr',
      files: { detection: 'det.onnx', recognition: 'rec.onnx', dictionary: 'dict.txt' },
    });
    const warnings: string[] = [];
    const ocr = await ocrTask.load(manifest, {
      modelDir,
      providers: ['cpu'],
      sessionOptions: options,
      warn: (message) => warnings.push(message),
    });
    try {
      expect(warnings).toEqual([
        expect.stringMatching(/full class probabilities.*"scores" is not a softmax/),
      ]);
      expect(ocr.info.outputs.map((o) => o.name)).toEqual(['detection/map', 'recognition/scores']);
      const image = await decodeToRgb((await textFixture('word')).png);
      const { detections } = await ocr.predict(image, { confidence: 0 });
      // The page around the word falls into a few regions; each reads "a".
      expect(detections.length).toBeGreaterThan(0);
      for (const d of detections) expect(d.text).toBe('a');
    } finally {
      await ocr.release();
    }
  });
});

describe('appended top-k outputs on PP-OCRv4', () => {
  const modelDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../models/ocr');
  let manifest: OcrManifest;
  let top: CtcSession;
  let plain: InferenceSession;
  let recLabels: string[];
  /** Every image with the line boxes the OCR task found on it. */
  const pages: { name: string; image: RgbImage; boxes: TextBox[] }[] = [];

  beforeAll(async () => {
    const { readFile } = await import('node:fs/promises');
    manifest = ocrTask.manifestSchema.parse(JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')));
    const path = (ref: NonNullable<OcrManifest['files'][keyof OcrManifest['files']]>) =>
      resolveFileRef(ref, modelDir);
    recLabels = parseDictionary(
      await readFile(path(manifest.files.dictionary), 'utf8'),
      manifest.recognition.spaceChar,
    );
    const space = spaceClass(recLabels);
    top = await open(path(manifest.files.recognition), space < 0 ? undefined : space, recLabels.length);
    plain = await InferenceSession.create(path(manifest.files.recognition), options);
    opened.push(plain);
    const ocr = await ocrTask.load(manifest, { modelDir, providers: ['cpu'], sessionOptions: options });
    try {
      const images: { name: string; bytes: Buffer }[] = [];
      // The bench's inputs but the 16-line page (a second per read: the generated pages cover long text).
      for (const name of textFixtureNames.filter((n) => n !== 'page')) {
        const fixture = await textFixture(name);
        images.push({ name, bytes: fixture.jpeg ?? fixture.png });
      }
      // Generated images the pipeline was not tuned on, one of each class (noisy, rotated, Chinese...), fresh seed.
      const generated = await generateSet({
        split: 'tune',
        extraSeed: 7,
        count: 6,
        cacheDir: join(dir, 'generated'),
      });
      for (const g of generated) images.push({ name: g.id, bytes: g.bytes });
      for (const { name, bytes } of images) {
        const image = await decodeToRgb(bytes);
        // Confidence 0: low-confidence reads are compared too.
        const { detections } = await ocr.predict(image, { confidence: 0 });
        const boxes = detections.map((d) => ({ quad: d.polygon as Quad, score: 1 }));
        pages.push({ name, image, boxes });
      }
    } finally {
      await ocr.release();
    }
  }, 180_000);

  const recognizer = (session: InferenceSession, batchSize: number, ctc?: CtcSession): Recognizer => ({
    session,
    settings: manifest.recognition,
    order: manifest.channelOrder,
    labels: recLabels,
    batchSize,
    ...(ctc?.top ? { top: ctc.top } : {}),
    input: new SpareBuffer(),
  });

  it('takes the appended path for the shipped recogniser', () => {
    expect(top.fallback).toBeUndefined();
    expect(top.top).toBeDefined();
    expect(pages.reduce((n, p) => n + p.boxes.length, 0)).toBeGreaterThan(20);
  });

  it.each([1, 8])(
    'reads the same text and confidences as the full softmax (batches of %i)',
    async (batchSize) => {
      const reduced = recognizer(top.session, batchSize, top);
      const full = recognizer(plain, batchSize);
      for (const { name, image, boxes } of pages) {
        const a = (await recognizeBoxes(reduced, image, boxes)) as DecodedText[];
        const b = (await recognizeBoxes(full, image, boxes)) as DecodedText[];
        expect(
          a.map((r) => r.text),
          name,
        ).toEqual(b.map((r) => r.text));
        a.forEach((r, i) => {
          expect(r.confidence, `${name} line ${i}`).toBeCloseTo((b[i] as DecodedText).confidence, 6);
        });
      }
    },
    180_000,
  );
});
