// The Open Inference Protocol (KServe / Triton "v2") over REST: health, server and model metadata, and
// inference. ONNX models (detect, classify) take their network's own tensors; pipeline models (OCR) take
// one BYTES image and answer with the prediction as tensors. Errors are `{ "error": "..." }` as the
// protocol specifies.
import { performance } from 'node:perf_hooks';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type TensorSpec, TensorSpecSchema } from '../contract.js';
import { badRequest } from '../errors.js';
import { parseJson } from '../json-body.js';
import type { TensorData } from '../pool/protocol.js';
import { binaryBody, cutChunks, HEADER_LENGTH, splitBinaryBody } from '../v2/binary.js';
import {
  detectionTensors,
  IMAGE_OUTPUTS,
  ImageParameters,
  imageBytes,
  isImageRequest,
  predictOptions,
  servedTensors,
} from '../v2/image-interface.js';
import {
  checkDatatype,
  decodeTensor,
  fromWorker,
  type OutputTensor,
  type RequestTensor,
  toBytes,
  toJson,
} from '../v2/tensors.js';
import { type AppDeps, handleErrors, imageBodyLimit, newRouter } from './router.js';

const V2Error = z
  .object({ error: z.string().openapi({ example: 'unknown model "yolo"' }) })
  .openapi('V2Error');
const errors = (...statuses: (400 | 404 | 413 | 503)[]) =>
  Object.fromEntries(
    statuses.map((s) => [s, { description: 'Error', content: { 'application/json': { schema: V2Error } } }]),
  );

const Parameters = z.record(z.string(), z.unknown()).openapi('V2Parameters');

const RequestInput = z
  .object({
    name: z.string().min(1),
    shape: z.array(z.number().int().min(0)),
    datatype: z.string().openapi({ example: 'FP32' }),
    parameters: Parameters.optional(),
    data: z
      .unknown()
      .optional()
      .openapi({ description: 'Row-major, flat or nested; absent with binary data' }),
  })
  .openapi('V2RequestInput');

const InferenceRequest = z
  .object({
    id: z.string().optional(),
    parameters: Parameters.optional(),
    inputs: z.array(RequestInput).min(1),
    outputs: z.array(z.object({ name: z.string().min(1), parameters: Parameters.optional() })).optional(),
  })
  .openapi('V2InferenceRequest');
type InferenceRequest = z.infer<typeof InferenceRequest>;

const InferenceResponse = z
  .object({
    model_name: z.string(),
    model_version: z.string().optional(),
    id: z.string().optional(),
    outputs: z.array(
      z.object({
        name: z.string(),
        datatype: z.string(),
        shape: z.array(z.number().int()),
        data: z.array(z.union([z.number(), z.string(), z.boolean()])),
      }),
    ),
  })
  .openapi('V2InferenceResponse');

const ModelParams = z.object({
  name: z
    .string()
    .min(1)
    .openapi({ param: { name: 'name', in: 'path' }, example: 'yolo11n' }),
});
const VersionedParams = ModelParams.extend({
  version: z
    .string()
    .min(1)
    .openapi({ param: { name: 'version', in: 'path' }, example: '1' }),
});

const serverMetadata = createRoute({
  method: 'get',
  path: '/v2',
  tags: ['v2'],
  summary: 'Server metadata',
  responses: {
    200: {
      description: 'Server name, version and protocol extensions',
      content: {
        'application/json': {
          schema: z.object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) }),
        },
      },
    },
  },
});

const live = createRoute({
  method: 'get',
  path: '/v2/health/live',
  tags: ['v2'],
  summary: 'Server liveness',
  responses: {
    200: {
      description: 'Live',
      content: { 'application/json': { schema: z.object({ live: z.boolean() }) } },
    },
  },
});

const ready = createRoute({
  method: 'get',
  path: '/v2/health/ready',
  tags: ['v2'],
  summary:
    'Server readiness, as /ready: loading is over (a model that failed to load does not hold it back; see /v1/models). A 4xx status means not ready, as the protocol says',
  responses: {
    200: {
      description: 'Ready',
      content: { 'application/json': { schema: z.object({ ready: z.boolean() }) } },
    },
    400: {
      description: 'Not ready',
      content: { 'application/json': { schema: z.object({ ready: z.boolean() }) } },
    },
  },
});

const ModelMetadata = z
  .object({
    name: z.string(),
    versions: z.array(z.string()),
    platform: z.string(),
    inputs: z.array(TensorSpecSchema),
    outputs: z.array(TensorSpecSchema),
    parameters: Parameters.optional(),
  })
  .openapi('V2ModelMetadata');

const ModelReady = z.object({ name: z.string(), ready: z.boolean() }).openapi('V2ModelReady');

function modelRoutes(versioned: boolean) {
  const base = versioned ? '/v2/models/{name}/versions/{version}' : '/v2/models/{name}';
  const params = versioned ? VersionedParams : ModelParams;
  const tags = ['v2'];
  return {
    metadata: createRoute({
      method: 'get',
      path: base,
      tags,
      summary: 'Model metadata: inputs and outputs with datatype and shape (-1: any size)',
      request: { params },
      responses: {
        200: { description: 'Metadata', content: { 'application/json': { schema: ModelMetadata } } },
        ...errors(404, 503),
      },
    }),
    ready: createRoute({
      method: 'get',
      path: `${base}/ready`,
      tags,
      summary: 'Model readiness (a 4xx status means not ready)',
      request: { params },
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: ModelReady } } },
        400: { description: 'Not ready', content: { 'application/json': { schema: ModelReady } } },
        ...errors(404),
      },
    }),
    infer: createRoute({
      method: 'post',
      path: `${base}/infer`,
      tags,
      summary:
        'Inference. JSON tensors; or the binary tensor extension (JSON length in Inference-Header-Content-Length, ' +
        'then the raw data of inputs with parameters.binary_data_size)',
      request: {
        params,
        body: {
          required: false,
          content: {
            'application/json': { schema: InferenceRequest },
            'application/octet-stream': {
              schema: z.string().openapi({ type: 'string', format: 'binary' }),
            },
          },
        },
      },
      responses: {
        200: {
          description: 'Output tensors',
          content: { 'application/json': { schema: InferenceResponse } },
        },
        ...errors(400, 404, 413, 503),
      },
    }),
  };
}

/** Checks request tensors against the model's inputs: names, datatypes, ranks and fixed dimensions. */
function checkInputs(inputs: readonly RequestTensor[], specs: readonly TensorSpec[], model: string): void {
  const expected = specs.map((s) => s.name).join(', ');
  const seen = new Set<string>();
  inputs.forEach((input, i) => {
    const field = `inputs.${i}`;
    const spec = specs.find((s) => s.name === input.name);
    if (!spec)
      throw badRequest(
        `model "${model}" has no input "${input.name}"; its inputs: ${expected}`,
        `${field}.name`,
      );
    if (seen.has(input.name)) throw badRequest(`input "${input.name}" is given twice`, `${field}.name`);
    seen.add(input.name);
    checkDatatype(input, field);
    if (input.datatype !== spec.datatype) {
      throw badRequest(
        `input "${input.name}" is ${spec.datatype}, got ${input.datatype}`,
        `${field}.datatype`,
      );
    }
    const fits =
      input.shape.length === spec.shape.length && spec.shape.every((d, k) => d < 0 || d === input.shape[k]);
    if (!fits) {
      throw badRequest(
        `input "${input.name}" has shape [${input.shape}]; the model takes [${spec.shape}] (-1: any size)`,
        `${field}.shape`,
      );
    }
  });
  const missing = specs.filter((s) => !seen.has(s.name)).map((s) => s.name);
  if (missing.length > 0)
    throw badRequest(`missing input(s) ${missing.join(', ')}; the model's inputs: ${expected}`, 'inputs');
}

/** Keeps the outputs the request asked for (all when it names none); unknown names are a 400. */
function selectOutputs(
  all: readonly string[],
  requested: InferenceRequest['outputs'],
): (outputs: OutputTensor[]) => OutputTensor[] {
  if (!requested || requested.length === 0) return (outputs) => outputs;
  requested.forEach((r, i) => {
    if (!all.includes(r.name)) {
      throw badRequest(
        `the model has no output "${r.name}"; its outputs: ${all.join(', ')}`,
        `outputs.${i}.name`,
      );
    }
  });
  const names = requested.map((r) => r.name);
  return (outputs) => names.map((n) => outputs.find((o) => o.name === n)).filter((o) => o !== undefined);
}

/** Binary tensor extension: an output is sent as binary when its own `binary_data` parameter says so, or
 * else when the request's `binary_data_output` does (Triton's Python client sets the latter by default). */
function wantsBinary(request: InferenceRequest, output: string): boolean {
  const own = request.outputs?.find((o) => o.name === output)?.parameters?.binary_data;
  if (typeof own === 'boolean') return own;
  return request.parameters?.binary_data_output === true;
}

/** Reads the request: plain JSON (whatever the Content-Type says), or JSON + binary data. */
async function readRequest(
  c: Context,
): Promise<{ request: InferenceRequest; chunks: Map<number, Uint8Array> }> {
  const headerLength = c.req.header(HEADER_LENGTH);
  let json: unknown;
  let rest: Uint8Array | undefined;
  if (headerLength === undefined) {
    json = parseJson(await c.req.text());
  } else {
    ({ json, rest } = splitBinaryBody(new Uint8Array(await c.req.arrayBuffer()), headerLength));
  }
  const parsed = InferenceRequest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw badRequest(`${field}: ${issue?.message ?? 'invalid request'}`, field);
  }
  return { request: parsed.data, chunks: rest ? cutChunks(parsed.data.inputs, rest) : new Map() };
}

export function v2Router(deps: AppDeps) {
  const router = newRouter();
  // The protocol's error body is `{ "error": "<message>" }`.
  router.onError(handleErrors(deps, (e) => ({ error: e.detail })));

  const findModel = (name: string, version?: string) => deps.plane.model(name, 'name', version);

  router.openapi(serverMetadata, (c) =>
    c.json({ name: 'modelship', version: deps.version, extensions: ['binary_tensor_data'] }, 200),
  );
  router.openapi(live, (c) => c.json({ live: true }, 200));
  router.openapi(ready, (c) =>
    deps.plane.isReady ? c.json({ ready: true }, 200) : c.json({ ready: false }, 400),
  );

  for (const versioned of [false, true]) {
    const routes = modelRoutes(versioned);
    const paramsOf = (c: Context) => c.req.param() as { name: string; version?: string };

    router.openapi(routes.metadata, (c) => {
      const { name, version } = paramsOf(c);
      const info = findModel(name, version);
      return c.json(
        {
          name: info.name,
          versions: [info.version],
          platform: info.rawTensors ? 'onnxruntime_onnx' : `modelship_${info.task}`,
          ...servedTensors(info),
          parameters: {
            task: info.task,
            provider: info.provider,
            ...(info.labels ? { labels: info.labels } : {}),
          },
        },
        200,
      );
    });

    router.openapi(routes.ready, (c) => {
      const { name, version } = paramsOf(c);
      // Not ready (loading, draining after SIGTERM, or its files failed to load) is a 400 with ready: false,
      // as the protocol says; a name that is no model is a 404.
      if (deps.plane.label(name) === name && !deps.plane.isModelReady(name)) {
        return c.json({ name, ready: false }, 400);
      }
      findModel(name, version);
      return c.json({ name, ready: true }, 200);
    });

    // Declared for the OpenAPI document only: the body is read by `readRequest`, whatever its Content-Type
    // (`curl -d` sends form-urlencoded; binary requests send octet-stream), and validated with the same schema.
    const inferRoute = routes.infer;
    router.openAPIRegistry.registerPath(inferRoute);
    router.post(inferRoute.path.replaceAll(/\{(\w+)\}/g, ':$1'), imageBodyLimit(deps), async (c) => {
      const started = performance.now();
      const { name, version } = paramsOf(c);
      c.set('model', deps.plane.label(name));
      const info = findModel(name, version);
      const { request, chunks } = await readRequest(c);
      const reply = (outputs: OutputTensor[], parameters?: Record<string, unknown>) => {
        const head = {
          model_name: info.name,
          model_version: info.version,
          ...(request.id ? { id: request.id } : {}),
          ...(parameters ? { parameters } : {}),
        };
        const binary = outputs.map((o) => wantsBinary(request, o.name));
        if (!binary.includes(true)) return c.json({ ...head, outputs: outputs.map(toJson) }, 200);
        // Binary tensor extension: binary outputs carry their size instead of `data`; bytes follow the JSON.
        const chunks: Uint8Array[] = [];
        const described = outputs.map((o, i) => {
          if (!binary[i]) return toJson(o);
          const bytes = toBytes(o);
          chunks.push(bytes);
          return {
            name: o.name,
            datatype: o.datatype,
            shape: o.shape,
            parameters: { binary_data_size: bytes.length },
          };
        });
        const { body, headerLength } = binaryBody({ ...head, outputs: described }, chunks);
        return c.body(body, 200, {
          'Content-Type': 'application/octet-stream',
          'Inference-Header-Content-Length': String(headerLength),
        });
      };

      const ownImageInput = info.rawTensors && info.inputs.some((s) => s.name === 'image');
      if (!info.rawTensors || (isImageRequest(request.inputs) && !ownImageInput)) {
        if (!isImageRequest(request.inputs)) {
          throw badRequest(
            `model "${name}" takes one BYTES input named "image" holding a PNG, JPEG or WebP ` +
              '(base64 in JSON, or raw bytes with the binary extension)',
            'inputs',
          );
        }
        const select = selectOutputs(
          IMAGE_OUTPUTS.map((o) => o.name),
          request.outputs,
        );
        const parameters = ImageParameters.safeParse(request.parameters ?? {});
        if (!parameters.success) {
          const issue = parameters.error.issues[0];
          const field = `parameters.${issue?.path.join('.') ?? ''}`;
          throw badRequest(`${field}: ${issue?.message ?? 'invalid'}`, field);
        }
        const input = request.inputs[0] as RequestTensor;
        const image = imageBytes(input, 'inputs.0', chunks.get(0));
        const options = predictOptions(parameters.data);
        const body = await deps.plane.predict(name, image, options, c.req.raw.signal, started);
        const { truncated, truncated_reason } = body;
        return reply(select(detectionTensors(body.detections)), truncated && { truncated, truncated_reason });
      }

      checkInputs(request.inputs, info.inputs, name);
      const select = selectOutputs(
        info.outputs.map((o) => o.name),
        request.outputs,
      );
      const tensors: Record<string, TensorData> = {};
      request.inputs.forEach((input, i) => {
        tensors[input.name] = decodeTensor(input, `inputs.${i}`, chunks.get(i));
      });
      const outputs = await deps.plane.infer(name, tensors, c.req.raw.signal, started);
      return reply(select(info.outputs.map((o) => fromWorker(o.name, outputs[o.name] as TensorData))));
    });
  }
  return router;
}
