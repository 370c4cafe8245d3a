// The API's response shapes as the page uses them (see app/api/src/tasks/types.ts for the source of truth).
import type { Detection, RankedClass } from '../../../api/src/tasks/types.js';

export type DetectionLike = Pick<Detection, 'x_min' | 'y_min' | 'x_max' | 'y_max' | 'class_name'> &
  Partial<Pick<Detection, 'text' | 'polygon' | 'confidence'>>;

export interface PredictResponse {
  model: string;
  /** Server-side processing time, seconds. */
  time: number;
  detections: Detection[];
  classes?: RankedClass[];
}

export interface ModelMeta {
  name: string;
  task: string;
  provider?: string;
  description?: string;
  labels?: string[];
}

export interface HealthResponse {
  status: string;
  version?: string;
  models?: string[];
}

export type { Detection, RankedClass };
