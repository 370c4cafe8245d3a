// Fields every models/<name>/model.json has, whatever its task. Each task extends `baseManifest`
// with its own `task` literal and settings (see tasks/*/manifest.ts).
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { z } from 'zod';

/** A file reference described as `what` in its errors (zod's own for a union would be "Invalid input"). */
const fileRefNamed = (what: string) =>
  z.union(
    [
      z.string().min(1),
      z.strictObject({
        package: z.string().min(1),
        // Only a file of the package: "../../../etc/passwd" resolved outside it.
        path: z
          .string()
          .min(1)
          .refine(
            (path) => !isAbsolute(path) && !normalize(path).split(/[\\/]/).includes('..'),
            'must be a file inside the npm package: a path relative to its folder, without ".."',
          ),
      }),
    ],
    {
      error: (issue) =>
        `${issue.input === undefined ? 'is required: ' : ''}${what}, relative to the model's folder, or ` +
        '{"package": "<npm package>", "path": "<file inside it>"}',
    },
  );

/** A model file: a path relative to the model's folder, or an asset inside an installed npm package. */
export const fileRef = fileRefNamed('the path of a file');
/** The network a detect or classify model runs: its `model` field. */
export const onnxFile = fileRefNamed('the path of the .onnx model file (e.g. "model.onnx")');
export type FileRef = z.infer<typeof fileRef>;

export const normalization = z.strictObject({
  /** Per-channel mean and std in the input tensor's channel order (B, G, R for OCR's `channelOrder: "bgr"`), applied after scaling pixels by `scale`. */
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  scale: z
    .number()
    .positive()
    .default(1 / 255),
});

/** What a model may be called: also what the API accepts as a model name before looking it up. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/**
 * Dynamic batching (detect, classify): concurrent requests for the model are stacked into one session run.
 * Needs a model whose input has a dynamic batch dimension. `enabled` unset: on with a GPU provider, off on
 * CPU, where the benchmark shows no gain (bench/results/latest.md).
 */
export const batching = z
  .strictObject({
    enabled: z.boolean().optional(),
    maxBatchSize: z.number().int().min(1).max(256).default(8),
    /** How long the first request of a batch waits for others, in milliseconds. */
    maxBatchDelayMs: z.number().min(0).max(1000).default(2),
  })
  .prefault({});
export type Batching = z.infer<typeof batching>;

export const baseManifest = z.strictObject({
  name: z
    .string()
    .regex(MODEL_NAME, '1 to 63 lower-case letters, digits, ".", "_" or "-", starting alphanumeric'),
  task: z.string(),
  version: z.string().default('1'),
  description: z.string().optional(),
});

const require = createRequire(import.meta.url);

/** Resolves a file ref to an absolute path. Package assets are found from the package's own folder. */
export function resolveFileRef(ref: FileRef, modelDir: string): string {
  if (typeof ref === 'string') return isAbsolute(ref) ? ref : resolve(modelDir, ref);
  return join(packageDir(ref.package), ref.path);
}

function packageDir(name: string): string {
  // Packages may restrict `exports`, so walk up from any resolvable entry to the folder named like the package.
  for (const entry of [`${name}/package.json`, name, `${name}/node`]) {
    try {
      let dir = dirname(require.resolve(entry));
      while (!dir.endsWith(join('node_modules', name)) && dirname(dir) !== dir) dir = dirname(dir);
      if (dir.endsWith(join('node_modules', name))) return dir;
    } catch {
      // try the next entry point
    }
  }
  throw new Error(`npm package "${name}" is not installed`);
}
