// model.json schema for `task: "detect"`: an ultralytics YOLO detector exported with `yolo export format=onnx`.
import { z } from 'zod';
import { baseManifest, batching, onnxFile } from '../../models/manifest-base.js';
import { labelsSource } from '../onnx-image-model.js';

const size = z.number().int().min(8).max(8192);

export const detectManifest = baseManifest.extend({
  task: z.literal('detect'),
  /** The .onnx file. */
  model: onnxFile,
  batching,
  /** Network input [width, height]; read from the model when it has a fixed size, else 640x640. */
  inputSize: z.tuple([size, size]).optional(),
  /**
   * Output layout. 'yolov8' (also v9/11/12 and ultralytics' v5u): [batch, 4+classes, boxes];
   * 'yolov5' (original v5/v7): [batch, boxes, 5+classes], with objectness; 'end2end' (YOLOv10, or any
   * export with nms=True): [batch, boxes, 6] rows of x1, y1, x2, y2, score, class, already suppressed.
   * 'auto' tells them apart from the output shape and the number of labels.
   */
  layout: z.enum(['auto', 'yolov8', 'yolov5', 'end2end']).default('auto'),
  /** Defaults to the 80 COCO classes, which ultralytics' pretrained detectors use. */
  labels: labelsSource.optional(),
  /** Boxes below this confidence are dropped, unless the request says otherwise. */
  confidence: z.number().min(0).max(1).default(0.25),
  /** IoU above which NMS suppresses the weaker of two boxes of the same class. */
  iou: z.number().min(0).max(1).default(0.45),
  maxDetections: z.number().int().min(1).max(10000).default(300),
});

export type DetectManifest = z.infer<typeof detectManifest>;
export type YoloLayout = Exclude<DetectManifest['layout'], 'auto'>;
