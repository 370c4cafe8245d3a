// The Open Inference Protocol (v2) endpoints on a real runtime: worker pool, onnxruntime sessions of tiny
// YOLO and classifier models built in the test, and the real OCR pipeline. Through app.request() and
// through a listening server.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textFixture } from '../../../test/fixtures/text-images.js';
import { IMAGE_OUTPUTS } from '../src/v2/image-interface.js';
import { type Listening, listen, startRuntime, type TestRuntime } from './helpers/api-runtime.js';
import {
  CLASSIFY_LABELS,
  colourClassifierModel,
  DETECT_LABELS,
  tempModelsDir,
  writeModel,
  yoloModel,
  yolov8Tensor,
} from './helpers/user-models.js';

let rt: TestRuntime;
let modelsDir: string;

interface V2Output {
  name: string;
  datatype: string;
  shape: number[];
  data: (number | string | boolean)[];
}
interface V2Response {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: V2Output[];
}

const post = (body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) => ({
  method: 'POST',
  headers,
  body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
});
const request = (path: string, init?: RequestInit) => rt.app.request(path, init);

async function infer(model: string, body: unknown): Promise<V2Response> {
  const res = await request(`/v2/models/${model}/infer`, post(body));
  const json = await res.json();
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json as V2Response;
}

/** Asserts a v2 error: the status and `{ "error": "..." }` with nothing else. */
async function expectError(res: Response, status: number, message: RegExp): Promise<void> {
  const body = (await res.json()) as { error: string };
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toMatch(message);
}

/** [[[...[0]...]]], `depth` arrays deep. */
function nestedArray(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

const output = (r: V2Response, name: string) => r.outputs.find((o) => o.name === name);

/** Binary tensor extension: JSON header, then the raw bytes. */
function binaryBody(header: unknown, ...chunks: Uint8Array[]) {
  const json = Buffer.from(JSON.stringify(header));
  return {
    method: 'POST',
    headers: {
      'Content-Type': 'application/octet-stream',
      'Inference-Header-Content-Length': String(json.length),
    },
    body: Buffer.concat([json, ...chunks]),
  };
}

/** A binary-extension response: its JSON header and the bytes after it. */
function splitBinary(headers: Headers, body: Buffer): { header: unknown; rest: Buffer } {
  const length = Number(headers.get('inference-header-content-length'));
  return { header: JSON.parse(body.subarray(0, length).toString()), rest: body.subarray(length) };
}

/** Classifier input [n,3,8,8] where image b has the value values[b][c] in every pixel of channel c. */
function planes(values: number[][]): number[] {
  return values.flatMap((channels) => channels.flatMap((v) => new Array<number>(64).fill(v)));
}

beforeAll(async () => {
  modelsDir = await tempModelsDir();
  await writeModel(
    modelsDir,
    { name: 'yolo-v8', task: 'detect', labels: DETECT_LABELS },
    yoloModel('yolov8'),
  );
  await writeModel(
    modelsDir,
    { name: 'yolo-v5', task: 'detect', labels: DETECT_LABELS },
    yoloModel('yolov5'),
  );
  const halves = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255 };
  await writeModel(
    modelsDir,
    { name: 'colours', task: 'classify', labels: CLASSIFY_LABELS, normalization: halves, version: '3' },
    colourClassifierModel(),
  );
  await mkdir(join(modelsDir, 'ocr'));
  await copyFile(
    new URL('../../../models/ocr/model.json', import.meta.url),
    join(modelsDir, 'ocr', 'model.json'),
  );
  rt = await startRuntime({ MODELS_DIR: modelsDir, WORKERS: '1', BODY_LIMIT_MB: '2' });
});

afterAll(async () => {
  await rt?.pool.close();
  await rm(modelsDir, { recursive: true, force: true });
});

describe('before the models are loaded', () => {
  it('is live, not ready, and says so with 4xx/503', async () => {
    expect(await (await request('/v2/health/live')).json()).toEqual({ live: true });
    const ready = await request('/v2/health/ready');
    expect(ready.status).toBe(400);
    expect(await ready.json()).toEqual({ ready: false });
    const modelReady = await request('/v2/models/yolo-v8/ready');
    expect(modelReady.status).toBe(400);
    expect(await modelReady.json()).toEqual({ name: 'yolo-v8', ready: false });
    const metadata = await request('/v2/models/yolo-v8');
    expect(metadata.headers.get('retry-after')).toBe('1');
    await expectError(metadata, 503, /loading/);
    await expectError(await request('/v2/models/nope/ready'), 404, /unknown model "nope"/);
    await rt.pool.ready;
  });
});

describe('health and metadata', () => {
  beforeAll(() => rt.pool.ready);

  it('GET /v2: server metadata', async () => {
    const res = await request('/v2');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: 'modelship',
      version: rt.deps.version,
      extensions: ['binary_tensor_data'],
    });
  });

  it('GET /v2/health/live and /v2/health/ready', async () => {
    const live = await request('/v2/health/live');
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ live: true });
    const ready = await request('/v2/health/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
  });

  it('GET /v2/models/{name}: an ONNX model reports its own tensors, dynamic sizes as -1', async () => {
    const res = await request('/v2/models/yolo-v8');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: 'yolo-v8',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'images', datatype: 'FP32', shape: [-1, 3, 64, 64] }],
      outputs: [{ name: 'output0', datatype: 'FP32', shape: [-1, 6, 4] }],
      parameters: { task: 'detect', provider: 'cpu', labels: DETECT_LABELS },
    });
  });

  it('GET /v2/models/{name}: the OCR pipeline takes one BYTES image', async () => {
    const body = await (await request('/v2/models/ocr')).json();
    expect(body).toMatchObject({
      name: 'ocr',
      versions: ['PP-OCRv4'],
      platform: 'modelship_ocr',
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [1] }],
      outputs: IMAGE_OUTPUTS,
    });
  });

  it('GET /v2/models/{name}/ready, with and without a version', async () => {
    expect(await (await request('/v2/models/colours/ready')).json()).toEqual({
      name: 'colours',
      ready: true,
    });
    expect((await request('/v2/models/colours/versions/3/ready')).status).toBe(200);
    expect((await request('/v2/models/colours/versions/3')).status).toBe(200);
    await expectError(await request('/v2/models/colours/versions/4/ready'), 404, /no version "4"/);
  });

  it('answers 404 {error} for an unknown model on every endpoint', async () => {
    await expectError(await request('/v2/models/nope'), 404, /unknown model "nope"; available: .*yolo-v8/);
    await expectError(await request('/v2/models/nope/ready'), 404, /unknown model/);
    await expectError(await request('/v2/models/nope/infer', post({ inputs: [] })), 404, /unknown model/);
  });

  it('lists the v2 routes in the OpenAPI document', async () => {
    const doc = (await (await request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v2', '/v2/health/ready', '/v2/models/{name}', '/v2/models/{name}/infer']),
    );
  });
});

describe('inference on raw tensors', () => {
  beforeAll(() => rt.pool.ready);

  it('runs the classifier on a batch of two, flat data (the protocol example shape)', async () => {
    // logits = 2 × channel means: image 0 has means (0, 0.5, 1), image 1 has (1, 1, 1).
    const r = await infer('colours', {
      id: 'req-1',
      inputs: [
        {
          name: 'input',
          shape: [2, 3, 8, 8],
          datatype: 'FP32',
          data: planes([
            [0, 0.5, 1],
            [1, 1, 1],
          ]),
        },
      ],
    });
    expect(r).toEqual({
      model_name: 'colours',
      model_version: '3',
      id: 'req-1',
      outputs: [{ name: 'logits', datatype: 'FP32', shape: [2, 3], data: [0, 1, 2, 2, 2, 2] }],
    });
  });

  it('serves the versioned infer path, and 404 for another version', async () => {
    const body = {
      inputs: [{ name: 'input', shape: [1, 3, 8, 8], datatype: 'FP32', data: planes([[1, 1, 0]]) }],
    };
    const res = await request('/v2/models/colours/versions/3/infer', post(body));
    expect(res.status).toBe(200);
    expect(output((await res.json()) as V2Response, 'logits')?.data).toEqual([2, 2, 0]);
    await expectError(
      await request('/v2/models/colours/versions/1/infer', post(body)),
      404,
      /no version "1"/,
    );
  });

  it('accepts nested data', async () => {
    const nested = [[0.25, 0, 0].map((v) => Array.from({ length: 8 }, () => new Array<number>(8).fill(v)))];
    const r = await infer('colours', {
      inputs: [{ name: 'input', shape: [1, 3, 8, 8], datatype: 'FP32', data: nested }],
    });
    expect(output(r, 'logits')?.data).toEqual([0.5, 0, 0]);
  });

  it('runs a detector with a dynamic batch and returns its raw YOLO tensor', async () => {
    const zeros = new Array<number>(2 * 3 * 64 * 64).fill(0);
    const r = await infer('yolo-v5', {
      inputs: [{ name: 'images', shape: [2, 3, 64, 64], datatype: 'FP32', data: zeros }],
      outputs: [{ name: 'output0' }],
    });
    const t = yolov8Tensor();
    expect(output(r, 'output0')?.shape).toEqual([2, 4, 7]);
    const v8 = await infer('yolo-v8', {
      inputs: [{ name: 'images', shape: [1, 3, 64, 64], datatype: 'FP32', data: zeros.slice(0, 12288) }],
    });
    expect(output(v8, 'output0')).toEqual({
      name: 'output0',
      datatype: 'FP32',
      shape: [1, ...t.dims],
      data: Array.from(Float32Array.from(t.values)),
    });
  });

  it('takes binary tensor data (the binary extension), FP32 little-endian', async () => {
    const data = Float32Array.from(planes([[1, 0, 0.5]]));
    const header = {
      inputs: [
        {
          name: 'input',
          shape: [1, 3, 8, 8],
          datatype: 'FP32',
          parameters: { binary_data_size: data.byteLength },
        },
      ],
    };
    const res = await request('/v2/models/colours/infer', binaryBody(header, new Uint8Array(data.buffer)));
    expect(res.status).toBe(200);
    expect(output((await res.json()) as V2Response, 'logits')?.data).toEqual([2, 0, 1]);
  });

  it('sends outputs as binary when asked (binary_data_output), JSON header first', async () => {
    const res = await request(
      '/v2/models/colours/infer',
      post({
        inputs: [{ name: 'input', shape: [1, 3, 8, 8], datatype: 'FP32', data: planes([[0.5, 1, 0]]) }],
        parameters: { binary_data_output: true },
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const { header, rest } = splitBinary(res.headers, Buffer.from(await res.arrayBuffer()));
    expect(header).toEqual({
      model_name: 'colours',
      model_version: '3',
      outputs: [{ name: 'logits', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }],
    });
    expect([0, 4, 8].map((at) => rest.readFloatLE(at))).toEqual([1, 2, 0]);
  });

  const input = (over: Record<string, unknown>) => ({
    inputs: [
      { name: 'input', shape: [1, 3, 8, 8], datatype: 'FP32', data: new Array<number>(192).fill(0), ...over },
    ],
  });
  const cases: [string, unknown, RegExp][] = [
    [
      'shape vs data length',
      input({ data: [1, 2, 3] }),
      /shape \[1,3,8,8\] holds 192 elements but "data" has 3/,
    ],
    ['unknown datatype', input({ datatype: 'FP8' }), /unknown datatype "FP8".*expected one of BOOL/],
    ['FP16', input({ datatype: 'FP16' }), /FP16 is not supported here; send FP32/],
    ['datatype the model does not take', input({ datatype: 'INT32' }), /input "input" is FP32, got INT32/],
    ['wrong shape', input({ shape: [1, 3, 4, 16] }), /takes \[-1,3,8,8\]/],
    ['wrong rank', input({ shape: [192] }), /has shape \[192\]/],
    [
      'unknown input name',
      input({ name: 'pixels' }),
      /model "colours" has no input "pixels"; its inputs: input/,
    ],
    [
      'a string in FP32 data',
      input({ data: ['1', ...new Array<number>(191).fill(0)] }),
      /element 0 is "1", expected a number/,
    ],
    // JSON.parse reads 1e400 as Infinity; 1e39 is a double but overflows FP32: neither may run as Infinity.
    [
      '1e400 in FP32 data',
      '1e400',
      /^inputs\.0\.data\.0: .*element 0 is Infinity, expected a finite number \(FP32/,
    ],
    [
      '-1e39 in FP32 data',
      '-1e39',
      /^inputs\.0\.data\.0: .*element 0 is -1e\+39, expected a finite number \(FP32/,
    ],
    ['missing data', input({ data: undefined }), /"data" must be an array/],
    [
      'data nested deeper than the shape',
      input({ data: nestedArray(40) }),
      /inputs\.0\.data: .*nested deeper than its shape \[1,3,8,8\]/,
    ],
    ['no inputs', { inputs: [] }, /inputs: .*1/],
    ['no inputs field', { id: 'x' }, /inputs/],
    ['negative dimension', input({ shape: [-1, 3, 8, 8] }), /inputs\.0\.shape\.0/],
    [
      'unknown requested output',
      { ...input({}), outputs: [{ name: 'probs' }] },
      /no output "probs"; its outputs: logits/,
    ],
    ['the same input twice', { inputs: [...input({}).inputs, ...input({}).inputs] }, /given twice/],
  ];
  for (const [what, body, message] of cases) {
    it(`400 {error} for ${what}`, async () => {
      // A string is the first element as JSON text, for the numbers JSON.stringify cannot write.
      const json =
        typeof body === 'string' ? JSON.stringify(input({})).replace('"data":[0,', `"data":[${body},`) : body;
      await expectError(await request('/v2/models/colours/infer', post(json)), 400, message);
    });
  }

  it('an FP32 output that overflows to Infinity/NaN is a 500 naming it in JSON, and exact in binary', async () => {
    // 3e38 in every red pixel: logit = 2 × 3e38 overflows FP32 (and × 0 weights give NaN).
    const huge = input({ data: planes([[3e38, 0, 0]]) });
    await expectError(
      await request('/v2/models/colours/infer', post(huge)),
      500,
      /output "logits": element 0 is (Infinity|NaN), which JSON cannot carry; ask for this output in binary/,
    );
    const res = await request(
      '/v2/models/colours/infer',
      post({ ...huge, outputs: [{ name: 'logits', parameters: { binary_data: true } }] }),
    );
    expect(res.status).toBe(200);
    const { rest } = splitBinary(res.headers, Buffer.from(await res.arrayBuffer()));
    expect(Number.isFinite(rest.readFloatLE(0))).toBe(false);
  });

  it('400 {error} for malformed JSON and bad binary framing', async () => {
    await expectError(await request('/v2/models/colours/infer', post('{"inputs": [')), 400, /not valid JSON/);
    const header = {
      inputs: [
        { name: 'input', shape: [1, 3, 8, 8], datatype: 'FP32', parameters: { binary_data_size: 768 } },
      ],
    };
    await expectError(
      await request('/v2/models/colours/infer', binaryBody(header, new Uint8Array(100))),
      400,
      /ends before this input's 768 bytes/,
    );
    const short = {
      inputs: [{ name: 'input', shape: [1, 3, 8, 8], datatype: 'FP32', parameters: { binary_data_size: 8 } }],
    };
    await expectError(
      await request('/v2/models/colours/infer', binaryBody(short, new Uint8Array(8))),
      400,
      /needs 768 bytes, got 8/,
    );
    const twice = {
      inputs: [
        {
          name: 'input',
          shape: [1, 3, 1, 1],
          datatype: 'FP32',
          data: [0, 0, 0],
          parameters: { binary_data_size: 12 },
        },
      ],
    };
    await expectError(
      await request('/v2/models/colours/infer', binaryBody(twice, new Uint8Array(12))),
      400,
      /inputs\.0 gives its data twice: inline \("data"\) and after the JSON/,
    );
  });
});

describe('inference on an image (BYTES input)', () => {
  beforeAll(() => rt.pool.ready);
  let scene: Buffer; // 200x100: letterboxed into 64x64 at scale 0.32, as in the detect tests

  beforeAll(async () => {
    scene = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
  });

  it('OCR reads the text of a base64 image', async () => {
    const line = await textFixture('line');
    const r = await infer('ocr', {
      inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [line.png.toString('base64')] }],
    });
    expect(r.outputs.map((o) => o.name)).toEqual(IMAGE_OUTPUTS.map((o) => o.name));
    expect(output(r, 'texts')?.data).toEqual(line.lines);
    const n = line.lines.length;
    expect(output(r, 'boxes')?.shape).toEqual([n, 4]);
    expect(output(r, 'polygons')?.shape).toEqual([n, 4, 2]);
    expect(output(r, 'class_names')?.data).toEqual(new Array(n).fill('text'));
  });

  it('OCR takes the raw image bytes through the binary extension, with or without the length prefix', async () => {
    const line = await textFixture('line');
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32LE(line.png.length);
    for (const bytes of [Buffer.concat([prefix, line.png]), line.png]) {
      const header = {
        inputs: [
          { name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: bytes.length } },
        ],
        outputs: [{ name: 'texts' }],
      };
      const res = await request('/v2/models/ocr/infer', binaryBody(header, bytes));
      expect(res.status).toBe(200);
      expect(((await res.json()) as V2Response).outputs).toEqual([
        { name: 'texts', datatype: 'BYTES', shape: [line.lines.length], data: line.lines },
      ]);
    }
  });

  it('a wrong BYTES length prefix before an image is a 400 naming the prefix, not "not an image"', async () => {
    const line = await textFixture('line');
    for (const length of [line.png.length + 100, 10, 0, 0xffffffff]) {
      const bytes = Buffer.concat([Buffer.alloc(4), line.png]);
      bytes.writeUInt32LE(length);
      const header = {
        inputs: [
          { name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: bytes.length } },
        ],
      };
      await expectError(
        await request('/v2/models/ocr/infer', binaryBody(header, bytes)),
        400,
        new RegExp(
          `^input "image": element 0's length prefix is ${length}, but binary_data_size leaves ${line.png.length} bytes after it`,
        ),
      );
    }
  });

  it('a detector takes an image too: boxes in original pixels, NMS and request parameters', async () => {
    const image = { name: 'image', shape: [1], datatype: 'BYTES', data: [scene.toString('base64')] };
    const r = await infer('yolo-v8', { inputs: [image] });
    expect(output(r, 'boxes')).toEqual({
      name: 'boxes',
      datatype: 'FP32',
      shape: [3, 4],
      data: [50, 25, 150, 75, 50, 25, 150, 75, 0, 0, 38, 25],
    });
    expect(output(r, 'class_names')?.data).toEqual(['cat', 'dog', 'cat']);
    expect(output(r, 'class_ids')?.data).toEqual([0, 1, 0]);
    const strict = await infer('yolo-v8', { inputs: [image], parameters: { confidence: 0.5, iou: 0.45 } });
    expect(output(strict, 'class_names')?.data).toEqual(['cat', 'dog']);
  });

  it('mixes binary and JSON outputs as each requested output says', async () => {
    const image = { name: 'image', shape: [1], datatype: 'BYTES', data: [scene.toString('base64')] };
    const res = await request(
      '/v2/models/yolo-v8/infer',
      post({
        inputs: [image],
        outputs: [{ name: 'class_names', parameters: { binary_data: true } }, { name: 'class_ids' }],
      }),
    );
    expect(res.status).toBe(200);
    const { header, rest } = splitBinary(res.headers, Buffer.from(await res.arrayBuffer()));
    expect(header).toMatchObject({
      outputs: [
        { name: 'class_names', datatype: 'BYTES', shape: [3], parameters: { binary_data_size: 4 * 3 + 9 } },
        { name: 'class_ids', datatype: 'INT32', shape: [3], data: [0, 1, 0] },
      ],
    });
    // BYTES elements: 4-byte little-endian length, then the bytes.
    const names: string[] = [];
    for (let at = 0; at < rest.length; at += 4 + rest.readUInt32LE(at)) {
      names.push(rest.subarray(at + 4, at + 4 + rest.readUInt32LE(at)).toString());
    }
    expect(names).toEqual(['cat', 'dog', 'cat']);
  });

  it('a classifier ranks the classes of an image', async () => {
    const red = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    const r = await infer('colours', {
      inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [red.toString('base64')] }],
      parameters: { top_k: 2 },
      outputs: [{ name: 'class_names' }, { name: 'confidences' }],
    });
    expect(output(r, 'class_names')?.data).toEqual(['red', 'green']);
    const denominator = Math.exp(2) + 2 * Math.exp(-2);
    expect(output(r, 'confidences')?.data[0]).toBeCloseTo(Math.exp(2) / denominator, 6);
  });

  const cases: [string, string, unknown, number, RegExp][] = [
    [
      'OCR given raw tensors',
      'ocr',
      { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] },
      400,
      /takes one BYTES input named "image"/,
    ],
    [
      'two images',
      'ocr',
      { inputs: [{ name: 'image', shape: [2], datatype: 'BYTES', data: ['a', 'b'] }] },
      400,
      /shape must be \[1\]/,
    ],
    [
      'invalid base64',
      'ocr',
      { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: ['***'] }] },
      400,
      /not valid base64/,
    ],
    [
      'not an image',
      'ocr',
      { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: ['aGVsbG8='] }] },
      400,
      /not an image/,
    ],
    [
      'a number as the image',
      'yolo-v8',
      { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [1] }] },
      400,
      /one base64 string/,
    ],
    [
      'a bad parameter',
      'yolo-v8',
      {
        inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: ['aGVsbG8='] }],
        parameters: { confidence: 2 },
      },
      400,
      /parameters\.confidence/,
    ],
  ];
  for (const [what, model, body, status, message] of cases) {
    it(`${status} {error} for ${what}`, async () => {
      await expectError(await request(`/v2/models/${model}/infer`, post(body)), status, message);
    });
  }
});

describe('through a listening server', () => {
  let server: Listening;
  beforeAll(async () => {
    await rt.pool.ready;
    server = await listen(rt);
  });
  afterAll(() => server?.close());

  it('serves metadata, JSON and binary inference over HTTP', async () => {
    const meta = await fetch(`${server.url}/v2/models/colours`);
    expect(meta.status).toBe(200);
    expect(((await meta.json()) as { inputs: unknown[] }).inputs).toEqual([
      { name: 'input', datatype: 'FP32', shape: [-1, 3, 8, 8] },
    ]);

    const res = await fetch(`${server.url}/v2/models/colours/infer`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: 'input', shape: [1, 3, 8, 8], datatype: 'FP32', data: planes([[0, 1, 0]]) }],
      }),
    });
    expect(res.status).toBe(200);
    expect(output((await res.json()) as V2Response, 'logits')?.data).toEqual([0, 2, 0]);

    const data = Float32Array.from(planes([[0, 0, 1]]));
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'input', shape: [1, 3, 8, 8], datatype: 'FP32', parameters: { binary_data_size: 768 } },
        ],
      }),
    );
    const binary = await fetch(`${server.url}/v2/models/colours/infer`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/octet-stream',
        'Inference-Header-Content-Length': String(header.length),
      },
      body: Buffer.concat([header, Buffer.from(data.buffer)]),
    });
    expect(binary.status).toBe(200);
    expect(output((await binary.json()) as V2Response, 'logits')?.data).toEqual([0, 0, 2]);

    const missing = await fetch(`${server.url}/v2/models/nope/infer`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: expect.stringMatching(/unknown model "nope"/) });
  });
});
