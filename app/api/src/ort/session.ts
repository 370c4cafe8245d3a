// onnxruntime session settings chosen by the server, the same for every task: which execution providers,
// how many threads per session, graph optimisation.
import { availableParallelism } from 'node:os';
import { env, InferenceSession } from 'onnxruntime-node';
import { firstLine } from '../errors.js';
import { probeModel } from './probe-model.js';

export interface ProviderChoice {
  /** Providers to pass to sessions, in order of preference, always ending with 'cpu'. */
  providers: string[];
  /** The provider that will run the models: the first one that loaded. */
  active: string;
}

/**
 * Keeps the requested providers that actually load here. onnxruntime-node throws when a provider's
 * shared libraries are missing (e.g. CUDA on a CPU-only machine); then we fall back and say so once.
 */
export async function chooseProviders(
  requested: string[],
  warn: (msg: string) => void,
): Promise<ProviderChoice> {
  const usable: string[] = [];
  // ORT prints a multi-line native error when a provider library is missing; our one line below replaces it.
  // The level is process-wide and fixed at ORT's first use, so it is only raised when a probe will run.
  if (requested.some((p) => p !== 'cpu')) env.logLevel = 'fatal';
  for (const provider of requested) {
    if (provider === 'cpu' || usable.includes(provider)) continue;
    try {
      const session = await InferenceSession.create(probeModel, { executionProviders: [provider] });
      await session.release();
      usable.push(provider);
    } catch (error) {
      warn(`execution provider "${provider}" cannot be loaded (${firstLine(error)}); falling back to cpu`);
    }
  }
  const providers = [...usable, 'cpu'];
  return { providers, active: providers[0] ?? 'cpu' };
}

/**
 * Threads: W workers share C cores, so each session gets floor(C/W) intra-op threads (at least 1), and its
 * thread pool does not spin. By default onnxruntime's pool threads busy-wait for work between operators and
 * after a run ends; that CPU is taken from the other workers, the main thread (HTTP, JSON) and sharp's
 * decoding. (With one intra-op thread there is no pool, and nothing spins either way.)
 */
export function sessionOptions(
  providers: string[],
  workers: number,
  cores = availableParallelism(),
): InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    intraOpNumThreads: Math.max(1, Math.floor(cores / workers)),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // Session config entries (onnxruntime_session_options_config_keys.h); the Node binding takes strings.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}
