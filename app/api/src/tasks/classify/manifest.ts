// model.json schema for `task: "classify"`: an ImageNet-style classifier (torchvision, timm, ultralytics
// -cls exports): NCHW float input, one score per class out.
import { z } from 'zod';
import { baseManifest, batching, normalization, onnxFile } from '../../models/manifest-base.js';
import { labelsSource } from '../onnx-image-model.js';

const size = z.number().int().min(8).max(8192);

export const classifyManifest = baseManifest
  .extend({
    task: z.literal('classify'),
    /** The .onnx file. */
    model: onnxFile,
    batching,
    /** Network input [width, height], the centre crop; read from the model when fixed, else 224x224. */
    inputSize: z.tuple([size, size]).optional(),
    /** The shorter side is resized to this before the centre crop; default: crop / 0.875 (256 for 224). */
    resize: size.optional(),
    normalization: normalization.default({
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      scale: 1 / 255,
    }),
    /**
     * 'logits' gets a softmax (a sigmoid when the model has one output: a binary classifier); 'probabilities'
     * (e.g. ultralytics -cls exports) is used as is, and must be 0..1.
     */
    output: z.enum(['logits', 'probabilities']).default('logits'),
    /** Without labels, classes are named class_0, class_1, ... */
    labels: labelsSource.optional(),
    /** Classes returned, best first, unless the request says otherwise. */
    topK: z.number().int().min(1).max(1000).default(5),
    /** Classes below this probability are left out. */
    confidence: z.number().min(0).max(1).default(0),
  })
  .refine(
    (m) => m.resize === undefined || m.inputSize === undefined || m.resize >= Math.max(...m.inputSize),
    {
      message: 'resize must be at least the larger side of inputSize, so the centre crop fits',
      path: ['resize'],
    },
  );

export type ClassifyManifest = z.infer<typeof classifyManifest>;
