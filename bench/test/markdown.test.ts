import { describe, expect, it } from 'vitest';
import {
  geometricMean,
  headline,
  markdownTable,
  num,
  percent,
  renderMarkdown,
  times,
} from '../lib/markdown.js';
import type { BenchResults } from '../lib/results.js';
import { summarize } from '../lib/stats.js';

describe('markdownTable', () => {
  it('renders a pipe table, right-aligning numeric columns and escaping pipes', () => {
    const table = markdownTable(
      ['input', 'p50'],
      [
        ['a|b', '12.5'],
        ['c', 'n/a'],
      ],
    );
    expect(table.split('\n')).toEqual([
      '| input | p50 |',
      '| --- | ---: |',
      '| a\\|b | 12.5 |',
      '| c | n/a |',
    ]);
  });
});

describe('number formatting', () => {
  it('shrinks decimals as numbers grow and writes n/a for gaps', () => {
    expect(num(1234.56)).toBe('1235');
    expect(num(12.345)).toBe('12.3');
    expect(num(1.2345)).toBe('1.23');
    expect(num(Number.NaN)).toBe('n/a');
    expect(num(null)).toBe('n/a');
    expect(times(0.456)).toBe('0.46×');
    expect(times(Number.NaN)).toBe('n/a');
    expect(percent(0.0123)).toBe('1.2%');
  });

  it('averages ratios geometrically, skipping gaps', () => {
    expect(geometricMean([0.5, 2])).toBeCloseTo(1, 10);
    expect(geometricMean([4, Number.NaN, 1])).toBeCloseTo(2, 10);
    expect(geometricMean([])).toBeNaN();
  });
});

function sampleResults(): BenchResults {
  const api = summarize([100, 110, 120]);
  const peer = summarize([200, 210, 220]);
  return {
    schema: 1,
    date: '2026-11-26T00:00:00.000Z',
    mode: 'default',
    commit: 'abc1234',
    durationSeconds: 250,
    machine: {
      cores: 2,
      cpuModel: 'Test CPU',
      memoryGiB: 24,
      node: '20.20.2',
      platform: 'linux 6.1',
      onnxruntime: '1.30.0',
      loadAverage: { start: 0.5, end: 1.25 },
    },
    api: { workers: 2, providers: 'cpu', env: { WORKERS: '2' } },
    inputs: [{ id: 'line', description: 'one line', width: 900, height: 100, bytes: 12_000, characters: 44 }],
    coldStart: { spawnToReadyMs: [900, 1000, 1100], medianMs: 1000 },
    latency: [
      {
        input: 'line',
        api,
        peer,
        ratioP50: 0.5,
        ratioP95: api.p95 / peer.p95,
        stages: { detection: 40, recognition: 30 },
        serverMs: 95,
      },
    ],
    accuracy: {
      sizes: [
        {
          input: 'line',
          api: { edits: 0, length: 44, cer: 0 },
          peer: { edits: 3, length: 44, cer: 3 / 44 },
          apiText: 'x',
          peerText: 'y',
        },
      ],
      apiCer: 0,
      peerCer: 3 / 44,
    },
    throughput: {
      input: 'line',
      runs: [
        {
          concurrency: 2,
          seconds: 10,
          requests: 150,
          requestsPerSecond: 15,
          latency: api,
          errors: 0,
          cpu: {
            apiMsPerRequest: 131,
            apiCores: 1.97,
            machineCores: 2,
            threadMsPerRequest: { main: 9, inference: 110, other: 12 },
            clientMsPerRequest: 4.5,
          },
        },
        { concurrency: 8, seconds: 10, requests: 160, requestsPerSecond: 16, latency: peer, errors: 0 },
      ],
      health: { concurrency: 8, latency: summarize([1, 2, 3]), errors: 0 },
    },
    tasks: [
      {
        task: 'detect',
        model: 'synthetic-yolo',
        description: 'YOLOv8 layout',
        input: 'photo',
        latency: summarize([20, 22, 24]),
        stages: { decode: 3, preprocess: 5, inference: 4, postprocess: 6 },
        serverMs: 19,
        split: { modelStages: ['inference'], modelP50: 4, otherP50: 15, otherShareP50: 0.79 },
        detections: 20,
      },
      {
        task: 'classify',
        model: 'synthetic-classifier',
        description: 'pooled linear classifier',
        input: 'photo',
        latency: summarize([10, 11, 12]),
        stages: { decode: 3, preprocess: 2, inference: 1, postprocess: 0.5 },
        split: { modelStages: ['inference'], modelP50: 1, otherP50: 9, otherShareP50: 0.9 },
        detections: 5,
      },
    ],
    memory: {
      idleMiB: 300,
      peakUnderLoadMiB: 420,
      afterRequests: { requests: 1000, input: 'line', beforeMiB: 400, afterMiB: 405 },
    },
    docker: { unavailable: 'no Docker engine', containerStart: null, images: [] },
    experiments: [],
    notes: ['a note'],
  };
}

describe('renderMarkdown', () => {
  it('states machine, date and every figure, with the ratios against the peer', () => {
    const md = renderMarkdown(sampleResults());
    expect(md).toContain('2026-11-26T00:00:00.000Z');
    expect(md).toContain('commit abc1234');
    expect(md).toContain('2 cores, Test CPU');
    expect(md).toContain('Node 20.20.2');
    expect(md).toContain('load average 0.50 → 1.25');
    expect(md).toContain('| latency, API / peer (geometric mean of per-size p50 ratios) | 0.50× |');
    expect(md).toMatch(/\| line \| 3\/3 \| 110 \| .* \| 210 \| .* \| 0\.50× \|/);
    expect(md).toContain('| detection | recognition | server total |');
    expect(md).toContain('| all (pooled) | 0.0% | 6.8% |');
    expect(md).toContain('| 8 | 10 | 160 | 16.0 |');
    expect(md).toContain('p99 2.98 ms');
    expect(md).toContain('| container start → /ready 200 (ms) | n/a (no Docker engine) |');
    expect(md).toContain('| RSS before → after 1000 more requests (`line`, MiB) | 400 → 405 |');
    expect(md).toContain('- a note');
  });

  it('reports detect and classify with their stages, labelled as synthetic tiny models', () => {
    const md = renderMarkdown(sampleResults());
    expect(md).toContain('## detect and classify at concurrency 1 (ms): synthetic tiny models');
    expect(md).toContain(
      '| decode | preprocess | inference | postprocess | server total | overhead (server − inference) | model vs rest, p50 | detections |',
    );
    expect(md).toContain(
      '| detect | synthetic-yolo | photo | 3 | 22.0 | 23.8 | 24.0 | 3.00 | 5.00 | 4.00 | 6.00 | 19.0 | 15.0 | 4.00 vs 15.0 (79.0%) | 20 |',
    );
    expect(md).toContain('| classify | synthetic-classifier | photo | 3 | 11.0 |');
    expect(md).toMatch(/\| classify .* \| 0\.50 \| n\/a \| n\/a \| 1\.00 vs 9\.00 \(90\.0%\) \| 5 \|/);
    expect(md).toContain('- `synthetic-yolo`: YOLOv8 layout.');
    expect(md).toContain(
      "| detect on photo (synthetic model): model vs everything else, p50 ms (other's share) | 4.00 vs 15.0 (79.0%) |",
    );
  });

  it('shows throughput against one client, and the batching rows with the GPU caveat', () => {
    const r = sampleResults();
    const one = {
      ...r.throughput.runs[0],
      concurrency: 1,
      requestsPerSecond: 8,
    } as (typeof r.throughput.runs)[0];
    r.throughput.runs.unshift(one);
    r.taskLoad = [
      { ...one, task: 'detect', model: 'synthetic-yolo', input: 'photo', batching: 'off', concurrency: 8 },
      {
        ...one,
        task: 'detect',
        model: 'synthetic-yolo',
        input: 'photo',
        batching: 'on: maxBatchSize 8',
        concurrency: 8,
      },
    ];
    const md = renderMarkdown(r);
    expect(md).toMatch(/\| 1 \| 10 \| 150 \| 8\.00 \| 1\.00× \|/);
    expect(md).toMatch(
      /\| 2 \| 10 \| 150 \| 15\.0 \| 1\.88× \|.* \| 0 \| 131 \| 9\.00 \| 110 \| 12\.0 \| 1\.97 \| 4\.50 \| 2\.00 \|$/m,
    );
    // A run without CPU figures (an older results file) still renders.
    expect(md).toMatch(/\| 8 \| 10 \| 160 \| 16\.0 \| 2\.00× \|.* \| 0( \| n\/a){7} \|$/m);
    expect(md).toContain('**The GPU gain is unmeasured here**');
    expect(md).toContain('| detect | photo | on: maxBatchSize 8 | 8 | 150 | 8.00 |');
  });

  it('leaves the task section out when no task was measured', () => {
    const r = sampleResults();
    r.tasks = [];
    expect(renderMarkdown(r)).not.toContain('synthetic tiny model');
  });

  it('lists image sizes and the layers added on top of the base when Docker answered', () => {
    const r = sampleResults();
    r.docker = {
      containerStart: { startToReadyMs: 2500, startToHealthyMs: null },
      images: [
        {
          image: 'modelship-api:local',
          totalMB: 450,
          base: 'node:22-bookworm-slim',
          addedMB: 250,
          layers: [{ sizeMB: 249.5, createdBy: 'COPY node_modules' }],
        },
      ],
    };
    const md = renderMarkdown(r);
    expect(md).toContain(
      '`modelship-api:local`: 450 MB in total; 250 MB added on top of `node:22-bookworm-slim`',
    );
    expect(md).toContain('| 250 | `COPY node_modules` |');
    expect(md).toContain('| container start → /ready 200 (ms) | 2500 |');
    expect(md).toContain('n/a (no HEALTHCHECK)');
  });

  it("puts both cold starts next to the peer's own model load from the same run", () => {
    const r = sampleResults();
    r.coldStart.peerLoadMs = 800;
    r.docker = { containerStart: { startToReadyMs: 2000, startToHealthyMs: null }, images: [] };
    const md = renderMarkdown(r);
    expect(md).toContain('| peer (@gutenye/ocr-node) model load + first call, same run (ms) | 800 |');
    expect(md).toContain('| process spawn → /ready, ÷ peer model load | 1.25× |');
    expect(md).toContain('| container start → /ready, ÷ peer model load | 2.50× |');
    delete r.coldStart.peerLoadMs;
    expect(renderMarkdown(r)).not.toContain('peer model load');
  });

  it('picks the best throughput and the cold-start median for the headline', () => {
    expect(headline(sampleResults())).toEqual({
      latencyRatio: 0.5,
      apiCer: 0,
      peerCer: 3 / 44,
      throughput: 16,
      coldStartMs: 1000,
      splits: [
        {
          label: 'detect on photo (synthetic model)',
          split: { modelStages: ['inference'], modelP50: 4, otherP50: 15, otherShareP50: 0.79 },
        },
        {
          label: 'classify on photo (synthetic model)',
          split: { modelStages: ['inference'], modelP50: 1, otherP50: 9, otherShareP50: 0.9 },
        },
      ],
    });
  });
});
