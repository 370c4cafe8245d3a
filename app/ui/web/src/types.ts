// The API's answers as the page reads them: types from the API's public contract (app/api/src/contract.ts),
// the one module of the API the page may import. Type-only: no API code ends up in the page's bundle.
import type { Detection, ModelInfo } from '@modelship/api/contract';

export type {
  Detection,
  ErrorBody,
  ErrorCode,
  FailedModel,
  HealthResponse,
  ModelEntry,
  PredictResponse,
  RankedClass,
} from '@modelship/api/contract';

/** What drawing and labelling need of a detection. */
export type DetectionLike = Pick<Detection, 'x_min' | 'y_min' | 'x_max' | 'y_max' | 'class_name'> &
  Partial<Pick<Detection, 'text' | 'polygon' | 'confidence'>>;

/** A model as the page lists it: its /v1/models entry, or only its name when the server has no /v1. */
export type ModelMeta = Pick<ModelInfo, 'name' | 'task'> &
  Partial<Pick<ModelInfo, 'provider' | 'description' | 'labels'>> & {
    /** Set when the model failed to load: why, in plain words. */
    reason?: string;
  };
