// `npm run bench [-- --quick]`: latency, throughput, cold start, memory and image sizes of the API, side by
// side with the in-process peer (@gutenye/ocr-node), written to bench/results/latest.{md,json}.
// Only 127.0.0.1 is ever contacted. No thresholds: the figures are for reading, not for failing.
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  mib,
  type PredictResponse,
  predict,
  predictRequest,
  REQUEST_HISTOGRAM,
  type Scrape,
  sampleRss,
  scrape,
  stageBreakdown,
  THREAD_GROUPS,
  type ThreadGroup,
  waitIdle,
} from './lib/api-client.js';
import { API_ENTRY, type ApiProcess, startApi } from './lib/api-process.js';
import { characterErrorRate, pooledCer, readingOrderText } from './lib/cer.js';
import { dockerUnavailable, imageExists, imageSize, timeContainerStart } from './lib/docker.js';
import { type BenchInput, describeInput, loadInputs } from './lib/inputs.js';
import { loadSeconds, runLoad, type SequentialBudget, timeSequential } from './lib/load.js';
import { cpuMeter, describeCommit, describeMachine } from './lib/machine.js';
import { renderMarkdown, renderThroughput } from './lib/markdown.js';
import { splitRecorder } from './lib/model-split.js';
import { type OcrEvalResults, runOcrEval, writeOcrEvalOnly } from './lib/ocr-eval/bench.js';
import { createPeer, type Peer, type PeerLine, peerBoxes } from './lib/peer.js';
import type {
  BenchResults,
  CpuUse,
  DockerFigures,
  Experiment,
  HealthUnderLoad,
  LoadRun,
  Memory,
  SizeAccuracy,
  SizeLatency,
} from './lib/results.js';
import { median, ratio, summarize } from './lib/stats.js';
import { buildRef, measureOcrAb, measureTaskAb, writeTaskAb } from './lib/task-ab.js';
import {
  measureTaskLoad,
  measureTasks,
  type TaskInput,
  taskInputs,
  writeTasksOnly,
} from './lib/task-bench.js';

interface Profile {
  coldStarts: number;
  /** Unmeasured calls per input before timing (the API warms its models up before /ready anyway). */
  warmup: number;
  latency: SequentialBudget;
  /** Seconds per autocannon run, stretched for slow inputs so that requests complete (see loadSeconds()). */
  loadSeconds: number;
  /** Requests for the "RSS after N requests" leak check. */
  memoryRequests: number;
  /** Experiments start only if the run is younger than this (seconds), to keep the run bounded. */
  experimentsBefore: number;
  experimentLatency: SequentialBudget;
}

const PROFILES: Record<'quick' | 'default', Profile> = {
  quick: {
    coldStarts: 1,
    warmup: 0,
    latency: { minRequests: 1, maxRequests: 20, budgetMs: 800 },
    loadSeconds: 2,
    memoryRequests: 50,
    experimentsBefore: 0,
    experimentLatency: { minRequests: 0, maxRequests: 0, budgetMs: 0 },
  },
  default: {
    coldStarts: 3,
    warmup: 1,
    latency: { minRequests: 3, maxRequests: 300, budgetMs: 8000 },
    loadSeconds: 12,
    memoryRequests: 1000,
    experimentsBefore: 170,
    experimentLatency: { minRequests: 3, maxRequests: 200, budgetMs: 4000 },
  },
};

const THROUGHPUT_INPUT = 'paragraph';
const MEMORY_INPUT = 'word';
/** The image the detect and classify models get: the photo-like JPEG (720×360), as a phone would send. */
const TASK_INPUT = 'photo';
const API_IMAGE = 'modelship-api:local';
const UI_IMAGE = 'modelship-ui:local';
const BASE_IMAGES = ['node:22-bookworm-slim', 'debian:bookworm-slim'];

const t0 = performance.now();
const log = (message: string) =>
  process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      // Runs the experiments even when the main figures took long (a loaded machine): unbounded then.
      experiments: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/results' },
      // `--only tasks`: just the detect/classify figures, written to <out>/tasks.{md,json};
      // `--only ocr-eval`: just the OCR evaluation set, written to <out>/ocr-eval.{md,json};
      // `--only task-ab --refs a,b,c`: the detect/classify pipeline of those commits, interleaved (task-ab.ts);
      // `--only ocr-ab --refs a,b,c`: the same for the OCR pipeline on the OCR inputs (but the page);
      // `--only throughput`: just the throughput at 1 to 4 × cores clients, written to <out>/throughput.{md,json};
      // with `--refs a,b`: each commit's API (built as task-ab builds it) in turn, twice over (a, b, a, b), written
      // to <out>/throughput-ab.{md,json}.
      only: { type: 'string' },
      refs: { type: 'string' },
      rounds: { type: 'string', default: '60' },
    },
  });
  const mode = values.quick ? 'quick' : 'default';
  const profile = PROFILES[mode];
  if (!existsSync(API_ENTRY))
    throw new Error(`${API_ENTRY} is missing: run \`npm run build\` (npm run bench does it)`);
  const started = performance.now();
  const machine = describeMachine();
  const loadAtStart = loadavg()[0] as number;
  const apiEnv = { WORKERS: String(machine.cores), ORT_PROVIDERS: 'cpu' };
  const notes: string[] = [];
  const inputs = await loadInputs();
  const byId = (id: string) => inputs.find((i) => i.id === id) as BenchInput;
  log(`${mode} run on ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}`);
  const runTasks = async () => {
    const taskIn = await taskInputs(byId(TASK_INPUT));
    const tasks = await measureTasks(taskIn, machine.cores, profile.warmup, profile.latency, log);
    const seconds = Math.max(2, profile.loadSeconds / 2);
    const load = await measureTaskLoad(
      taskIn[0] as TaskInput,
      machine.cores,
      4 * machine.cores,
      seconds,
      log,
    );
    return { tasks, load };
  };
  if (values.only === 'ocr-eval') {
    const ocrApi = await startApi(apiEnv);
    try {
      await writeOcrEvalOnly(values.out, await runOcrEval(ocrApi.url, mode === 'quick', log), log);
    } finally {
      await ocrApi.stop();
    }
    return;
  }
  if (values.only === 'task-ab' || values.only === 'ocr-ab') {
    const refs = (values.refs ?? '').split(',').filter((ref) => ref.length > 0);
    if (refs.length < 2)
      throw new Error(`--only ${values.only} needs --refs with two commits or more, oldest first`);
    if (values.only === 'ocr-ab') {
      // The page takes a second a request: it would stretch the run, and its share is small already.
      const ocrIn = inputs.filter((input) => input.id !== 'page');
      const rows = await measureOcrAb(refs, ocrIn, machine.cores, Number(values.rounds), log);
      await writeTaskAb(values.out, rows, log, 'ocr');
      return;
    }
    const taskIn = await taskInputs(byId(TASK_INPUT));
    const rows = await measureTaskAb(refs, taskIn, machine.cores, Number(values.rounds), log);
    await writeTaskAb(values.out, rows, log);
    return;
  }
  if (values.only === 'throughput') {
    const refs = (values.refs ?? '').split(',').filter((ref) => ref.length > 0);
    const builds = refs.map((ref) => buildRef(ref, log));
    const sections: ThroughputSection[] = [];
    for (const build of builds.length > 0 ? [...builds, ...builds] : [undefined]) {
      const throughputApi = build
        ? await startApi({ ...apiEnv, MODELS_DIR: join(build.dir, 'models') }, { entry: build.entry })
        : await startApi(apiEnv);
      try {
        const input = byId(THROUGHPUT_INPUT);
        const request = predictRequest(input);
        for (let i = 0; i < profile.warmup; i++) await predict(throughputApi.url, request);
        const typical = summarize(
          (await timeSequential(() => predict(throughputApi.url, request), profile.latency)).latenciesMs,
        ).p50;
        const { runs, health } = await measureThroughput(
          throughputApi,
          input,
          machine.cores,
          profile,
          typical,
        );
        sections.push({
          ...(build ? { commit: `${build.sha} ${build.subject}` } : {}),
          throughput: { input: THROUGHPUT_INPUT, runs, health },
        });
      } finally {
        await throughputApi.stop();
      }
    }
    await writeThroughputOnly(values.out, sections, machine.cores);
    return;
  }
  if (values.only === 'tasks') {
    const { tasks, load } = await runTasks();
    await writeTasksOnly(values.out, tasks, load, log);
    return;
  }

  log('cold start: spawn → /ready');
  const coldStarts: number[] = [];
  let api: ApiProcess | undefined;
  for (let i = 0; i < profile.coldStarts; i++) {
    api = await startApi(apiEnv);
    coldStarts.push(api.coldStartMs);
    if (i < profile.coldStarts - 1) await api.stop();
  }
  if (!api) throw new Error('no API started');

  let latency: SizeLatency[];
  let accuracy: SizeAccuracy[];
  let throughput: Awaited<ReturnType<typeof measureThroughput>>;
  let memory: Memory;
  let ocrEval: OcrEvalResults;
  // The peer's cold start, to compare ours against: loading its models, and its first call, which pays the
  // one-off costs the API pays before /ready (the smallest input keeps the call itself short).
  log('peer model load: Ocr.create() + first call');
  const peerStarted = performance.now();
  const peer = await createPeer();
  await peer.detect((inputs[0] as BenchInput).bytes);
  const peerLoadMs = performance.now() - peerStarted;
  try {
    const idleMiB = mib((await scrape(api.url)).rssBytes);
    ({ latency, accuracy } = await measureLatency(api, peer, inputs, profile));
    const typical = latency.find((l) => l.input === THROUGHPUT_INPUT)?.api.p50 ?? 0;
    throughput = await measureThroughput(api, byId(THROUGHPUT_INPUT), machine.cores, profile, typical);
    const afterRequests = await measureLeak(api, byId(MEMORY_INPUT), machine.cores, profile.memoryRequests);
    memory = { idleMiB, peakUnderLoadMiB: throughput.peakMiB, afterRequests };
    ocrEval = await runOcrEval(api.url, mode === 'quick', log);
  } finally {
    await api.stop();
  }
  if (profile.memoryRequests < 1000)
    notes.push(`quick run: the leak check makes ${profile.memoryRequests} requests, not 1,000.`);

  const elapsed = (performance.now() - started) / 1000;
  let experiments: Experiment[] = [];
  if (elapsed < profile.experimentsBefore || (values.experiments && mode === 'default')) {
    experiments = await runExperiments(inputs, machine.cores, profile, notes);
  } else if (mode === 'default') {
    notes.push(
      `Experiments skipped: the main figures took ${elapsed.toFixed(0)} s (a loaded machine?); \`--experiments\` forces them.`,
    );
  }
  const { tasks, load: taskLoad } = await runTasks();
  const docker = await measureDocker(notes);

  const results: BenchResults = {
    schema: 1,
    date: new Date().toISOString(),
    mode,
    commit: describeCommit(),
    durationSeconds: (performance.now() - started) / 1000,
    machine: { ...machine, loadAverage: { start: loadAtStart, end: loadavg()[0] as number } },
    api: { workers: machine.cores, providers: apiEnv.ORT_PROVIDERS, env: apiEnv },
    inputs: inputs.map(describeInput),
    coldStart: { spawnToReadyMs: coldStarts, medianMs: median(coldStarts), peerLoadMs },
    latency,
    accuracy: {
      sizes: accuracy,
      apiCer: pooledCer(accuracy.map((a) => a.api)),
      peerCer: pooledCer(accuracy.map((a) => a.peer)),
    },
    throughput: { input: THROUGHPUT_INPUT, runs: throughput.runs, health: throughput.health },
    tasks,
    taskLoad,
    memory,
    docker,
    experiments,
    notes,
    ocrEval,
  };
  const base = join(values.out, mode === 'quick' ? 'quick' : 'latest');
  await mkdir(values.out, { recursive: true });
  await writeFile(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(`${base}.md`, renderMarkdown(results));
  log(`wrote ${base}.md and ${base}.json in ${results.durationSeconds.toFixed(0)} s`);
  // The evaluation split's own file too, so that it and latest.md always quote the same run.
  if (mode !== 'quick') await writeOcrEvalOnly(values.out, ocrEval, log);
}

/** Per input: the API at concurrency 1 then the peer, interleaved so drift in machine speed hits both. */
async function measureLatency(api: ApiProcess, peer: Peer, inputs: BenchInput[], profile: Profile) {
  const latency: SizeLatency[] = [];
  const accuracy: SizeAccuracy[] = [];
  for (const input of inputs) {
    log(`latency at concurrency 1: ${input.id}`);
    const request = predictRequest(input);
    const callApi = () => predict(api.url, request);
    const callPeer = () => peer.detect(input.bytes);
    for (let i = 0; i < profile.warmup; i++) {
      await callApi();
      await callPeer();
    }
    const split = splitRecorder(['detection', 'recognition']);
    const before = await scrape(api.url);
    const apiRun = await timeSequential(split.wrap(callApi), profile.latency);
    const after = await scrape(api.url);
    const peerRun = await timeSequential(callPeer, profile.latency);
    const apiSummary = summarize(apiRun.latenciesMs);
    const peerSummary = summarize(peerRun.latenciesMs);
    latency.push({
      input: input.id,
      api: apiSummary,
      peer: peerSummary,
      ratioP50: ratio(apiSummary.p50, peerSummary.p50),
      ratioP95: ratio(apiSummary.p95, peerSummary.p95),
      ...stageBreakdown(before, after, apiRun.latenciesMs.length),
      split: split.summary(),
    });
    accuracy.push(agreement(input, apiRun.last, peerRun.last));
  }
  if (!latency.some((l) => l.serverMs !== undefined))
    log(`warning: no ${REQUEST_HISTOGRAM}{route="/predict"} in /metrics`);
  return { latency, accuracy };
}

function agreement(
  input: BenchInput,
  api: PredictResponse | undefined,
  peer: PeerLine[] | undefined,
): SizeAccuracy {
  const apiText = readingOrderText(api?.detections ?? []);
  const peerText = readingOrderText(peerBoxes(peer ?? []));
  return {
    input: input.id,
    api: characterErrorRate(apiText, input.reference),
    peer: characterErrorRate(peerText, input.reference),
    apiText,
    peerText,
  };
}

/**
 * autocannon at concurrency 1, cores, 2 × cores and 4 × cores. During the saturated run a light probe (20 req/s, one
 * connection) times GET /health, and RSS is sampled from /metrics.
 */
async function measureThroughput(
  api: ApiProcess,
  input: BenchInput,
  cores: number,
  profile: Profile,
  p50Ms: number,
) {
  const spec = predictRequest(input);
  const runs: LoadRun[] = [];
  let health: HealthUnderLoad | null = null;
  const rss = sampleRss(api.url);
  // 1 to 4 × cores clients: how throughput scales with concurrency, and where it saturates.
  for (const connections of [...new Set([1, cores, 2 * cores, 4 * cores])]) {
    const seconds = loadSeconds(profile.loadSeconds, p50Ms, connections, cores);
    log(`throughput: ${input.id} at concurrency ${connections} for ${seconds} s`);
    const saturated = connections === 4 * cores;
    const before = await scrape(api.url);
    const meter = cpuMeter();
    const load = runLoad(api.url, { ...spec, connections, seconds });
    // The probe starts once the queue has filled and stops before the load does.
    const probe = saturated
      ? new Promise((r) => setTimeout(r, 1000)).then(() =>
          runLoad(api.url, {
            path: '/health',
            method: 'GET',
            connections: 1,
            seconds: Math.max(1, seconds - 2),
            overallRate: 20,
          }),
        )
      : undefined;
    const run = await load;
    const used = meter.stop();
    const after = await scrape(api.url);
    runs.push({ ...run, cpu: cpuUse(before, after, run.requests, used) });
    const probed = await probe;
    if (probed) health = { concurrency: connections, latency: probed.latency, errors: probed.errors };
    // autocannon leaves requests queued in the API when it stops; let them finish before the next figure.
    await waitIdle(api.url);
  }
  return { runs, health, peakMiB: await rss.stop() };
}

/**
 * The API's CPU per request and the cores it kept busy, next to the whole machine's. Throughput scales with
 * clients only while there are idle cores: at 1 client the API should keep about one busy, and a machine busier
 * than the API means other work took cores from it.
 */
function cpuUse(
  before: Scrape,
  after: Scrape,
  requests: number,
  used: { seconds: number; machineCores: number; selfSeconds: number },
): CpuUse | undefined {
  if (before.cpuSeconds === undefined || after.cpuSeconds === undefined || requests === 0) return undefined;
  const apiSeconds = after.cpuSeconds - before.cpuSeconds;
  const perRequest = (seconds: number) => (1000 * seconds) / requests;
  const thread = (group: ThreadGroup) => {
    const [a, b] = [before.threadCpuSeconds[group], after.threadCpuSeconds[group]];
    return a === undefined || b === undefined ? undefined : perRequest(b - a);
  };
  const [main, inference, other] = THREAD_GROUPS.map(thread);
  return {
    apiMsPerRequest: perRequest(apiSeconds),
    apiCores: apiSeconds / used.seconds,
    machineCores: used.machineCores,
    ...(main !== undefined && inference !== undefined && other !== undefined
      ? { threadMsPerRequest: { main, inference, other } }
      : {}),
    clientMsPerRequest: perRequest(used.selfSeconds),
  };
}

interface ThroughputSection {
  /** The commit measured, with `--refs`. */
  commit?: string;
  throughput: BenchResults['throughput'];
}

/** `--only throughput`: the throughput section alone in <out>/throughput.{md,json}; with `--refs`, one per
 * commit and round in <out>/throughput-ab.{md,json}. */
async function writeThroughputOnly(out: string, sections: ThroughputSection[], cores: number): Promise<void> {
  await mkdir(out, { recursive: true });
  const base = join(out, sections[0]?.commit === undefined ? 'throughput' : 'throughput-ab');
  const date = new Date().toISOString();
  const load = loadavg()[0] as number;
  await writeFile(
    `${base}.json`,
    `${JSON.stringify({ date, commit: describeCommit(), cores, loadAverage: load, sections }, null, 2)}\n`,
  );
  const ab = sections[0]?.commit !== undefined;
  const title = [
    `# modelship benchmark: throughput ${ab ? 'of each commit, in turn' : 'only'}`,
    '',
    `${date} · commit ${describeCommit()} · ${cores} cores, ${cores} workers · load average ${load.toFixed(1)} at the end`,
    '',
    ...(ab
      ? [
          "Each commit's API (built from git, serving its own models/) was started fresh and measured in turn, twice over",
          '(a, b, a, b), so that each pair met similar machine load. Where "machine busy cores" is near the core count',
          'while "API busy cores" is far below it, other work took the CPU: compare the CPU per request, not the req/s.',
          '',
        ]
      : []),
    '',
  ].join('\n');
  const body = sections.flatMap(({ commit, throughput }) => [
    ...(commit === undefined ? [] : [`### ${commit}`, '']),
    ...renderThroughput(throughput, cores),
    '',
  ]);
  await writeFile(`${base}.md`, `${title}${body.join('\n')}`);
  log(`wrote ${base}.md and ${base}.json`);
}

/** RSS before and after `requests` more predictions at concurrency = cores: growth here hints at a leak. */
async function measureLeak(api: ApiProcess, input: BenchInput, cores: number, requests: number) {
  log(`memory: RSS after ${requests} requests of ${input.id}`);
  const beforeMiB = mib((await scrape(api.url)).rssBytes);
  const run = await runLoad(api.url, { ...predictRequest(input), connections: cores, amount: requests });
  if (run.errors > 0) log(`warning: ${run.errors} errors during the memory run`);
  await waitIdle(api.url);
  const afterMiB = mib((await scrape(api.url)).rssBytes);
  return { requests: run.requests, input: input.id, beforeMiB, afterMiB };
}

interface ApiVariant {
  name: string;
  setting: string;
  env: Record<string, string>;
  /** Edits to models/ocr/model.json for this variant, served from a temporary MODELS_DIR. */
  manifest?: (manifest: { recognition: Record<string, unknown>; detection: Record<string, unknown> }) => void;
  /** Inputs timed at concurrency 1. */
  inputs: string[];
  /** Also an autocannon run at concurrency = cores on the first input (where the pool matters). */
  load: boolean;
}

/**
 * Where the time goes: each variant against a baseline started the same way in the same run. The worker
 * pool against ORT threads, batched recognition, the detector's input size, and the peer held to the API's
 * one ORT thread per session.
 */
async function runExperiments(inputs: BenchInput[], cores: number, profile: Profile, notes: string[]) {
  const experiments: Experiment[] = [];
  const variants: ApiVariant[] = [
    {
      name: 'baseline',
      setting: `WORKERS=${cores}: ${cores} workers × 1 ORT thread`,
      env: {},
      inputs: ['paragraph', 'page'],
      load: true,
    },
    {
      name: 'worker pool',
      setting: `WORKERS=1: 1 worker × ${cores} ORT threads`,
      env: { WORKERS: '1' },
      inputs: ['paragraph', 'page'],
      load: true,
    },
    {
      name: 'batched recognition',
      setting: 'recognition.cpuBatchSize=8: width-sorted batches of 8 crops (baseline: 1)',
      env: {},
      manifest: (m) => {
        m.recognition.cpuBatchSize = 8;
      },
      inputs: ['paragraph', 'page'],
      load: false,
    },
    {
      name: 'detector input',
      setting: 'detection.maxSide=4096: full resolution, as the peer',
      env: {},
      manifest: (m) => {
        m.detection.maxSide = 4096;
      },
      inputs: ['page'],
      load: false,
    },
  ];
  const scratch = await mkdtemp(join(tmpdir(), 'modelship-bench-'));
  try {
    for (const variant of variants) {
      const env: Record<string, string> = { WORKERS: String(cores), ORT_PROVIDERS: 'cpu', ...variant.env };
      if (variant.manifest) env.MODELS_DIR = await editedModels(scratch, variant);
      log(`experiment: ${variant.name} (${variant.setting})`);
      const api = await startApi(env);
      try {
        for (const id of variant.inputs) {
          const input = inputs.find((i) => i.id === id) as BenchInput;
          const request = predictRequest(input);
          await predict(api.url, request);
          const run = await timeSequential(() => predict(api.url, request), profile.experimentLatency);
          experiments.push(sequentialExperiment(variant.name, variant.setting, input.id, run.latenciesMs));
        }
        if (variant.load) {
          const input = inputs.find((i) => i.id === variant.inputs[0]) as BenchInput;
          const p50 = experiments.at(-variant.inputs.length)?.latency.p50 ?? 0;
          const load = await runLoad(api.url, {
            ...predictRequest(input),
            connections: cores,
            seconds: loadSeconds(profile.loadSeconds / 2, p50, cores, cores),
          });
          experiments.push({
            name: variant.name,
            setting: variant.setting,
            concurrency: cores,
            input: input.id,
            requests: load.requests,
            requestsPerSecond: load.requestsPerSecond,
            latency: load.latency,
          });
        }
      } finally {
        await api.stop();
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  for (const threads of [1, cores]) {
    log(`experiment: peer with intraOpNumThreads=${threads}`);
    const peer = await createPeer({ intraOpNumThreads: threads });
    for (const id of ['paragraph', 'page']) {
      const input = inputs.find((i) => i.id === id) as BenchInput;
      await peer.detect(input.bytes);
      const run = await timeSequential(() => peer.detect(input.bytes), profile.experimentLatency);
      const setting = `peer, intraOpNumThreads=${threads}`;
      experiments.push(sequentialExperiment('peer threads', setting, input.id, run.latenciesMs));
    }
  }
  notes.push(
    'Experiments run after the main figures, each API variant freshly started; compare rows of the same input and concurrency.',
  );
  return experiments;
}

/** A copy of models/ with the variant's manifest edits, for MODELS_DIR. */
async function editedModels(scratch: string, variant: ApiVariant): Promise<string> {
  const dir = join(scratch, variant.name.replace(/\W+/g, '-'));
  await cp('models', dir, { recursive: true });
  const path = join(dir, 'ocr', 'model.json');
  const manifest = JSON.parse(await readFile(path, 'utf8'));
  variant.manifest?.(manifest);
  await writeFile(path, JSON.stringify(manifest));
  return dir;
}

function sequentialExperiment(
  name: string,
  setting: string,
  input: string,
  latenciesMs: number[],
): Experiment {
  const latency = summarize(latenciesMs);
  return {
    name,
    setting,
    concurrency: 1,
    input,
    requests: latency.n,
    requestsPerSecond: latency.n / (latenciesMs.reduce((s, x) => s + x, 0) / 1000),
    latency,
  };
}

async function measureDocker(notes: string[]): Promise<DockerFigures> {
  const unavailable = await dockerUnavailable();
  if (unavailable) return { unavailable, containerStart: null, images: [] };
  const images = [];
  for (const image of [API_IMAGE, UI_IMAGE]) {
    if (await imageExists(image)) images.push(await imageSize(image, BASE_IMAGES));
    else notes.push(`\`${image}\` is not built (\`npm run test:docker\` builds it), so its size is missing.`);
  }
  if (!(await imageExists(API_IMAGE)))
    return { containerStart: null, containerMissing: 'API image not built', images };
  log(`container start → ready: ${API_IMAGE}`);
  try {
    return { containerStart: await timeContainerStart(API_IMAGE, 8000), images };
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0] ?? 'failed';
    log(`warning: container start not measured: ${reason}`);
    return { containerStart: null, containerMissing: `container failed: ${reason}`, images };
  }
}

main().catch((error: unknown) => {
  log(`failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
});
