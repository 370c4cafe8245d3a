// Calls to the model server, through the UI server's /api proxy (same origin).
import { predictUrl } from './curl.js';
import {
  type ApiErrorBody,
  audienceOf,
  describeHttpError,
  describeNetworkError,
  type Problem,
} from './errors.js';
import type { HealthResponse, ModelMeta, PredictResponse } from './types.js';

export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: Problem; status?: number };

/** Asks the proxy not to wait for a restarting API: the status badge wants the state as it is now. */
const NOW = { 'X-Proxy-Retry': 'off' };

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

/** One call: the parsed JSON body, or the problem in plain words (`model` names it in a 404's wording). */
async function requestJson<T>(
  url: string,
  init: Omit<RequestInit, 'headers'> & { headers?: Record<string, string> },
  model?: string,
): Promise<Outcome<T>> {
  const audience = audienceOf(window.location.hostname);
  let response: Response;
  try {
    response = await fetch(url, { ...init, headers: { Accept: 'application/json', ...init.headers } });
  } catch {
    return { ok: false, problem: describeNetworkError(audience) };
  }
  const body = await readJson(response);
  if (!response.ok) {
    return {
      ok: false,
      status: response.status,
      problem: describeHttpError(response.status, body as ApiErrorBody, model, audience),
    };
  }
  return { ok: true, value: body as T };
}

const getJson = <T>(path: string, headers?: Record<string, string>) =>
  requestJson<T>(path, { headers, cache: 'no-store' });

export type ApiState =
  | { state: 'ready'; health: HealthResponse }
  | { state: 'warming' | 'down'; problem: Problem };

export async function checkApi(): Promise<ApiState> {
  const health = await getJson<HealthResponse>('/api/health', NOW);
  if (!health.ok) return { state: 'down', problem: health.problem };
  const ready = await getJson<unknown>('/api/ready', NOW);
  if (!ready.ok) return { state: ready.status === 503 ? 'warming' : 'down', problem: ready.problem };
  return { state: 'ready', health: health.value };
}

/**
 * Every model with its description and state, from /v1/models (failed ones included, with their reason). A server
 * without it gets the hands-on's /models: bare names, of the models that serve.
 */
export async function listModels(): Promise<Outcome<ModelMeta[]>> {
  const meta = await getJson<unknown>('/api/v1/models');
  // The list may come bare or wrapped ({ models: [...] }).
  const described = meta.ok
    ? Array.isArray(meta.value)
      ? meta.value
      : (meta.value as { models?: unknown })?.models
    : undefined;
  if (Array.isArray(described)) {
    return {
      ok: true,
      value: (described as ModelMeta[]).filter((m) => m && typeof m.name === 'string'),
    };
  }
  const names = await getJson<unknown>('/api/models');
  if (!names.ok) return names;
  if (!Array.isArray(names.value)) {
    return {
      ok: false,
      problem: { title: 'The server sent an unexpected model list.', hint: 'Is API_URL right?' },
    };
  }
  return {
    ok: true,
    value: names.value.filter((n): n is string => typeof n === 'string').map((name) => ({ name, task: '' })),
  };
}

/** Sends the image bytes as they are (no base64), and measures the round trip. */
export async function predict(
  model: string,
  image: Blob,
  confidence: number,
): Promise<Outcome<{ response: PredictResponse; roundTripMs: number }>> {
  const started = performance.now();
  const outcome = await requestJson<PredictResponse | undefined>(
    predictUrl(window.location.origin, model, confidence),
    { method: 'POST', headers: { 'Content-Type': image.type }, body: image },
    model,
  );
  const roundTripMs = performance.now() - started;
  if (!outcome.ok) return outcome;
  const result = outcome.value;
  if (!result || !Array.isArray(result.detections)) {
    return {
      ok: false,
      problem: {
        title: 'The server sent an answer the page does not understand.',
        hint: 'Is API_URL right?',
      },
    };
  }
  return { ok: true, value: { response: result, roundTripMs } };
}
