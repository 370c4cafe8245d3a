// Renders bench results as the Markdown table in bench/results/latest.md.

import type { ModelSplit } from './model-split.js';
import { renderOcrEvalSection } from './ocr-eval/markdown.js';
import type { BenchResults, TaskLoad } from './results.js';
import { ratio } from './stats.js';

/** A GitHub pipe table; `|` in cells is escaped, numeric-looking columns are right-aligned. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cellText = (cell: string) => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,×%x ]+$|^n\/a$/.test(r[i] ?? '')),
  );
  const lines = [
    `| ${headers.map(cellText).join(' | ')} |`,
    `| ${headers.map((_, i) => (numeric[i] ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${headers.map((_, i) => cellText(r[i] ?? '')).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** Fixed decimals that shrink as numbers grow; `n/a` for missing values. */
export function num(x: number | null | undefined, decimals?: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const d = decimals ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  return x.toFixed(d);
}

export function times(x: number | null | undefined): string {
  return Number.isFinite(x ?? Number.NaN) ? `${num(x, 2)}×` : 'n/a';
}

export function percent(x: number | null | undefined): string {
  return Number.isFinite(x ?? Number.NaN) ? `${num((x as number) * 100, 1)}%` : 'n/a';
}

/** The geometric mean, the right average for ratios. */
export function geometricMean(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  if (finite.length === 0) return Number.NaN;
  return Math.exp(finite.reduce((sum, v) => sum + Math.log(v), 0) / finite.length);
}

export interface Headline {
  latencyRatio: number;
  apiCer: number;
  peerCer: number;
  throughput: number | null;
  coldStartMs: number;
  /** Per task and input: the model's p50 against everything else's p50 (ms). */
  splits: { label: string; split: ModelSplit }[];
}

export function headline(r: BenchResults): Headline {
  const saturated = r.throughput.runs.reduce<number | null>(
    (best, run) => Math.max(best ?? 0, run.requestsPerSecond),
    null,
  );
  return {
    latencyRatio: geometricMean(r.latency.map((l) => l.ratioP50)),
    apiCer: r.accuracy.apiCer,
    peerCer: r.accuracy.peerCer,
    throughput: saturated,
    coldStartMs: r.coldStart.medianMs,
    splits: [
      ...r.latency.flatMap((l) => (l.split ? [{ label: `ocr on ${l.input}`, split: l.split }] : [])),
      ...r.tasks.map((t) => ({ label: `${t.task} on ${t.input} (synthetic model)`, split: t.split })),
    ],
  };
}

/** "4.50 vs 3.20 (42%)": the model's p50, the rest's p50, the rest's share of server time. */
export function splitCell(split: ModelSplit | undefined): string {
  if (!split) return 'n/a';
  return `${num(split.modelP50)} vs ${num(split.otherP50)} (${percent(split.otherShareP50)})`;
}

/** The detect and classify section: p50/p95 at concurrency 1 and the stage breakdown, per task. */
export function renderTasks(tasks: BenchResults['tasks']): string[] {
  if (tasks.length === 0) return [];
  const stages = [...new Set(tasks.flatMap((t) => Object.keys(t.stages)))];
  return [
    '## detect and classify at concurrency 1 (ms): synthetic tiny models',
    '',
    'The models are synthetic, built like the API tests build theirs (a constant-output YOLOv8-layout head, a',
    'pooled linear classifier): their inference costs next to nothing, so these figures are the server pipeline',
    'around a model (decode, letterbox or resize + crop, candidate decoding, NMS, softmax, JSON), not what a real',
    'YOLO or ResNet would take to compute. A second API serves only them; `POST /predict`, base64 JSON.',
    'What each pipeline change did, commit against commit in one run: [task-ab.md](task-ab.md).',
    '',
    markdownTable(
      [
        'task',
        'model',
        'input',
        'n',
        'p50',
        'p95',
        'p99',
        ...stages,
        'server total',
        'overhead (server − inference)',
        'model vs rest, p50',
        'detections',
      ],
      tasks.map((t) => [
        t.task,
        t.model,
        t.input,
        String(t.latency.n),
        num(t.latency.p50),
        num(t.latency.p95),
        num(t.latency.p99),
        ...stages.map((s) => num(t.stages[s])),
        num(t.serverMs),
        num(t.serverMs === undefined ? undefined : t.serverMs - (t.stages.inference ?? 0)),
        splitCell(t.split),
        String(t.detections),
      ]),
    ),
    '',
    ...[...new Map(tasks.map((t) => [t.model, t.description]))].map(([model, d]) => `- \`${model}\`: ${d}.`),
    '',
  ];
}

/** The peer's model load in the same run, and both cold starts as multiples of it. */
function peerLoadRows(r: BenchResults): string[][] {
  const peer = r.coldStart.peerLoadMs;
  if (peer === undefined) return [];
  const times = (ms: number) => `${num(ms / peer, 2)}×`;
  const start = r.docker.containerStart;
  return [
    ['peer (@gutenye/ocr-node) model load + first call, same run (ms)', num(peer, 0)],
    ['process spawn → /ready, ÷ peer model load', times(r.coldStart.medianMs)],
    ['container start → /ready, ÷ peer model load', start ? times(start.startToReadyMs) : 'n/a'],
  ];
}

/** The load section for detect and classify: batching off and on, on this machine's CPU. */
export function renderTaskLoad(runs: readonly TaskLoad[] | undefined): string[] {
  if (!runs || runs.length === 0) return [];
  return [
    '## detect and classify under load: dynamic batching on CPU',
    '',
    'The synthetic models above under autocannon, batching off (1 client and many) and on (`"batching"` in',
    'model.json), each from a freshly started API. Their networks cost next to nothing, so this measures what',
    'stacking requests does to the pipeline around a model on a CPU. **The GPU gain is unmeasured here**: this',
    'machine has no GPU, and batching is off by default on CPU and on by default with CUDA.',
    '',
    markdownTable(
      ['task', 'input', 'batching', 'clients', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'errors'],
      runs.map((r) => [
        r.task,
        r.input,
        r.batching,
        String(r.concurrency),
        String(r.requests),
        num(r.requestsPerSecond),
        num(r.latency.p50),
        num(r.latency.p95),
        String(r.errors),
      ]),
    ),
    '',
  ];
}

export function renderMarkdown(r: BenchResults): string {
  const h = headline(r);
  const stages = [...new Set(r.latency.flatMap((l) => Object.keys(l.stages)))];
  const container = (show: (c: NonNullable<BenchResults['docker']['containerStart']>) => string) =>
    r.docker.containerStart
      ? show(r.docker.containerStart)
      : `n/a (${r.docker.unavailable ?? r.docker.containerMissing ?? 'not measured'})`;
  const out: string[] = [];
  out.push(
    '# modelship benchmark',
    '',
    `${r.date} · ${r.mode === 'quick' ? 'quick run (`--quick`, few samples)' : 'default run'} · ${num(r.durationSeconds, 0)} s` +
      ` · commit ${r.commit ?? 'unknown'}`,
    '',
    `Machine: ${r.machine.cores} cores, ${r.machine.cpuModel}, ${num(r.machine.memoryGiB, 0)} GiB RAM, Node ${r.machine.node}, ` +
      `${r.machine.platform}, onnxruntime-node ${r.machine.onnxruntime}, ` +
      `load average ${num(r.machine.loadAverage.start)} → ${num(r.machine.loadAverage.end)} (1 min, start → end of the run). API: ${r.api.workers} workers, providers \`${r.api.providers}\`` +
      `${
        Object.keys(r.api.env).length
          ? `, ${Object.entries(r.api.env)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`
          : ''
      }.`,
    '',
    'Ratios compare the HTTP API with the in-process peer (`@gutenye/ocr-node`, same PP-OCRv4 ONNX files, same',
    'onnxruntime-node, no HTTP) measured in this same run; below 1× the API is faster. No thresholds are asserted.',
    '',
    '## Headline',
    '',
    markdownTable(
      ['figure', 'value'],
      [
        ['latency, API / peer (geometric mean of per-size p50 ratios)', times(h.latencyRatio)],
        ['character error rate, API (spaces included)', percent(h.apiCer)],
        ['character error rate, peer (spaces included)', percent(h.peerCer)],
        ['throughput, best (req/s)', num(h.throughput)],
        ['cold start, spawn → /ready (ms, median)', num(h.coldStartMs, 0)],
        ...h.splits.map(({ label, split }) => [
          `${label}: model vs everything else, p50 ms (other's share)`,
          splitCell(split),
        ]),
      ],
    ),
    '',
    '## Inputs',
    '',
    markdownTable(
      ['input', 'description', 'pixels', 'PNG KB', 'characters'],
      r.inputs.map((i) => [
        i.id,
        i.description,
        `${i.width}×${i.height}`,
        num(i.bytes / 1000, 0),
        String(i.characters),
      ]),
    ),
    '',
    '## Latency at concurrency 1 (ms)',
    '',
    'API: `POST /predict` (JSON, base64 PNG) over keep-alive HTTP on 127.0.0.1. Peer: `ocr.detect(buffer)` in-process.',
    'Stages: mean ms per request from the `/metrics` histograms, diffed around each input.',
    'What each OCR pipeline change did, commit against commit in one run: [ocr-ab.md](ocr-ab.md).',
    '',
    markdownTable(
      [
        'input',
        'n',
        'API p50',
        'API p95',
        'API p99',
        'peer p50',
        'peer p95',
        'peer p99',
        'API/peer p50',
        'API/peer p95',
        ...stages,
        'server total',
      ],
      r.latency.map((l) => [
        l.input,
        `${l.api.n}/${l.peer.n}`,
        num(l.api.p50),
        num(l.api.p95),
        num(l.api.p99),
        num(l.peer.p50),
        num(l.peer.p95),
        num(l.peer.p99),
        times(l.ratioP50),
        times(l.ratioP95),
        ...stages.map((s) => num(l.stages[s])),
        num(l.serverMs),
      ]),
    ),
    '',
    '## Text agreement (character error rate against the known text, spaces included)',
    '',
    markdownTable(
      ['input', 'API CER', 'peer CER', 'API edits', 'peer edits', 'reference chars'],
      [
        ...r.accuracy.sizes.map((a) => [
          a.input,
          percent(a.api.cer),
          percent(a.peer.cer),
          String(a.api.edits),
          String(a.peer.edits),
          String(a.api.length),
        ]),
        ['all (pooled)', percent(r.accuracy.apiCer), percent(r.accuracy.peerCer), '', '', ''],
      ],
    ),
    '',
    ...renderThroughput(r.throughput, r.machine.cores),
    ...renderTasks(r.tasks),
    ...renderTaskLoad(r.taskLoad),
    '## Cold start and memory',
    '',
    markdownTable(
      ['figure', 'value'],
      [
        [
          'process spawn → /ready 200 (ms)',
          `${num(r.coldStart.medianMs, 0)} (median of ${r.coldStart.spawnToReadyMs.map((x) => num(x, 0)).join(', ')})`,
        ],
        ['container start → /ready 200 (ms)', container((c) => num(c.startToReadyMs, 0))],
        ...peerLoadRows(r),
        [
          'container start → Docker reports "healthy" (ms)',
          container((c) =>
            c.startToHealthyMs === null ? 'n/a (no HEALTHCHECK)' : num(c.startToHealthyMs, 0),
          ),
        ],
        ['RSS at idle, after warm-up (MiB)', num(r.memory.idleMiB, 0)],
        ['RSS under load, peak (MiB)', num(r.memory.peakUnderLoadMiB, 0)],
        [
          `RSS before → after ${r.memory.afterRequests.requests} more requests (\`${r.memory.afterRequests.input}\`, MiB)`,
          `${num(r.memory.afterRequests.beforeMiB, 0)} → ${num(r.memory.afterRequests.afterMiB, 0)}`,
        ],
      ],
    ),
    '',
    '## Image sizes',
    '',
  );
  if (r.docker.images.length === 0)
    out.push(`n/a (${r.docker.unavailable ?? 'no modelship image built'})`, '');
  for (const image of r.docker.images) {
    out.push(
      `\`${image.image}\`: ${num(image.totalMB, 0)} MB in total; ` +
        (image.base
          ? `${num(image.addedMB, 0)} MB added on top of \`${image.base}\`:`
          : 'base image not recognised:'),
      '',
      markdownTable(
        ['layer size MB', 'created by'],
        image.layers.map((l) => [num(l.sizeMB), `\`${l.createdBy.slice(0, 100)}\``]),
      ),
      '',
    );
  }
  out.push(...renderOcrEvalSection(r.ocrEval));
  if (r.experiments.length > 0) {
    out.push(
      '## Where the time goes: experiments',
      '',
      markdownTable(
        ['experiment', 'setting', 'concurrency', 'input', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'note'],
        r.experiments.map((e) => [
          e.name,
          e.setting,
          String(e.concurrency),
          e.input,
          String(e.requests),
          num(e.requestsPerSecond),
          num(e.latency.p50),
          num(e.latency.p95),
          e.note ?? '',
        ]),
      ),
      '',
    );
  }
  if (r.notes.length > 0) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return `${out.join('\n')}\n`;
}

/** The throughput section: req/s at each concurrency against one client, with where the CPU went. */
export function renderThroughput(throughput: BenchResults['throughput'], cores: number): string[] {
  return [
    `## Throughput (input \`${throughput.input}\`)`,
    '',
    markdownTable(
      [
        'concurrency',
        'seconds',
        'requests',
        'req/s',
        'vs 1 client',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'errors',
        'API CPU ms per request',
        'of which main thread',
        'inference workers',
        'other threads',
        'API busy cores',
        'load generator ms per request',
        'machine busy cores',
      ],
      throughput.runs.map((t) => [
        String(t.concurrency),
        num(t.seconds, 0),
        String(t.requests),
        num(t.requestsPerSecond),
        times(
          ratio(t.requestsPerSecond, throughput.runs.find((one) => one.concurrency === 1)?.requestsPerSecond),
        ),
        num(t.latency.p50),
        num(t.latency.p95),
        num(t.latency.p99),
        String(t.errors),
        num(t.cpu?.apiMsPerRequest),
        num(t.cpu?.threadMsPerRequest?.main),
        num(t.cpu?.threadMsPerRequest?.inference),
        num(t.cpu?.threadMsPerRequest?.other),
        num(t.cpu?.apiCores),
        num(t.cpu?.clientMsPerRequest),
        num(t.cpu?.machineCores),
      ]),
    ),
    '',
    `CPU: the API process's CPU time (every thread) and the cores it kept busy, next to the whole machine's busy cores ` +
      `(the API, the bench's load generator and anything else). On ${cores} cores, concurrency ${cores} ` +
      `can only be ${cores}× concurrency 1 while the API uses the same CPU per request at both, keeps one core busy at 1 client, and nothing else takes the others. ` +
      "The API's CPU is split by thread (from /proc, Linux only): the main thread (HTTP, JSON, base64, header read, hand-off to a worker), " +
      "the inference workers (decode, pre- and postprocessing, onnxruntime) and the other threads (V8's garbage collector and compiler, libuv's pool, libvips). " +
      "The other threads' work partly overlaps a worker's at 1 client: it adds more to the CPU per request than to the latency, " +
      'so the more of it there is, the further concurrency 2 falls short of 2×. The load generator (autocannon, in the bench process) shares the same cores.',
    '',
    throughput.health
      ? `Health under load: \`GET /health\` while ${throughput.health.concurrency} predictions are in flight: ` +
        `p50 ${num(throughput.health.latency.p50)} ms, p99 ${num(throughput.health.latency.p99)} ms, ` +
        `max ${num(throughput.health.latency.max)} ms over ${throughput.health.latency.n} probes, ${throughput.health.errors} errors.`
      : 'Health under load: n/a.',
    '',
  ];
}
