// Execution-provider selection against the real onnxruntime-node binary (CPU-only here, as on most laptops).
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { probeModel } from '../src/ort/probe-model.js';
import { chooseProviders, sessionOptions } from '../src/ort/session.js';

describe('chooseProviders', () => {
  it('keeps cpu without probing', async () => {
    const warnings: string[] = [];
    expect(await chooseProviders(['cpu'], (w) => warnings.push(w))).toEqual({
      providers: ['cpu'],
      active: 'cpu',
    });
    expect(warnings).toEqual([]);
  });

  it('falls back to cpu with one clear line when CUDA cannot be loaded', async () => {
    const warnings: string[] = [];
    const choice = await chooseProviders(['cuda', 'cpu'], (w) => warnings.push(w));
    expect(choice).toEqual({ providers: ['cpu'], active: 'cpu' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^execution provider "cuda" cannot be loaded \(.+\); falling back to cpu$/);
  });

  it('adds cpu as the last resort even when not asked for', async () => {
    const choice = await chooseProviders(['cuda'], () => {});
    expect(choice.providers).toEqual(['cpu']);
  });
});

describe('the probe model', () => {
  it('is a valid ONNX model computing the identity', async () => {
    const session = await InferenceSession.create(probeModel);
    expect(session.inputNames).toEqual(['x']);
    const { y } = await session.run({ x: new Tensor('float32', new Float32Array([2.5]), [1]) });
    expect(Array.from(y?.data as Float32Array)).toEqual([2.5]);
    await session.release();
  });
});

describe('sessionOptions', () => {
  it('asks for a thread pool that does not spin, in a form the binding accepts', async () => {
    const options = sessionOptions(['cpu'], 1, 2);
    expect(options.extra).toEqual({
      session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } },
    });
    // Two intra-op threads, so there is a pool to configure; the binding throws on an `extra` value that is not a string.
    const session = await InferenceSession.create(probeModel, options);
    const out = await session.run({ x: new Tensor('float32', new Float32Array([2.5]), [1]) });
    expect(Array.from(out.y?.data as Float32Array)).toEqual([2.5]);
    await session.release();
  });
});
