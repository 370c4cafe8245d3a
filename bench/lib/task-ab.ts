// `--only task-ab --refs <ref>,<ref>,…`: the detect/classify pipeline of several commits side by side, in one
// run. Each ref's API is built from git into node_modules/.cache, all of them serve the same synthetic models at
// once, and requests go to them in turn (the order rotating each round), so drift in machine speed hits every
// build alike. Each row's note gives its overhead (server time minus inference, per request) as a ratio to
// the previous ref's: consecutive refs are one change each, so a row is that change's before/after.
// `--only ocr-ab --refs …` does the same for the OCR pipeline: each ref serves its own models/ (model.json
// included) on the OCR bench inputs, and the overhead is server time minus detection and recognition.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PredictResponse, predict, predictRequest } from './api-client.js';
import { type ApiProcess, startApi } from './api-process.js';
import { describeCommit } from './machine.js';
import { markdownTable, num, times } from './markdown.js';
import type { Experiment } from './results.js';
import { median, summarize } from './stats.js';
import type { TaskInput } from './task-bench.js';
import { writeTaskModels } from './tasks.js';

/** Outside the sources that lint and typecheck read; modules resolve from the repository's node_modules. */
const CACHE = 'node_modules/.cache/modelship-task-ab';

export interface Build {
  ref: string;
  sha: string;
  /** The build's root: its app/api and models/ as of the commit. */
  dir: string;
  subject: string;
  entry: string;
}

/** The API of `ref` compiled into node_modules/.cache/modelship-task-ab/<sha> (reused when already there). */
export function buildRef(ref: string, log: (message: string) => void): Build {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
  const sha = git('rev-parse', '--short=10', `${ref}^{commit}`);
  const subject = git('log', '-1', '--format=%s', sha);
  const dir = join(CACHE, sha);
  const entry = join(dir, 'app/api/dist/server.js');
  if (!existsSync(entry)) {
    log(`task-ab: building ${ref} (${sha}) in ${dir}`);
    execFileSync('mkdir', ['-p', dir]);
    // The API's sources and the tsconfig they extend; modules resolve from the repository's node_modules.
    // launch-env.json (the environment its launchers set) only exists from the commit that added it on.
    const paths = [
      'app/api/src',
      'app/api/package.json',
      'app/api/tsconfig.build.json',
      'tsconfig.base.json',
      'models',
    ];
    if (git('ls-tree', '--name-only', sha, 'app/api/launch-env.json')) paths.push('app/api/launch-env.json');
    execFileSync('sh', ['-c', `git archive ${sha} ${paths.join(' ')} | tar -x -C ${dir}`]);
    execFileSync(process.execPath, [
      'node_modules/typescript/bin/tsc',
      '-p',
      join(dir, 'app/api/tsconfig.build.json'),
    ]);
  }
  return { ref, sha, subject, dir, entry };
}

interface Sample {
  clientMs: number;
  overheadMs: number;
  /** The answer's own timings of the stages that are not the model's, ms. */
  stagesMs: Record<string, number>;
}

/** Every ref's API on every model and input, `rounds` requests each, interleaved; one row per ref and case. */
export async function measureTaskAb(
  refs: string[],
  inputs: TaskInput[],
  cores: number,
  rounds: number,
  log: (message: string) => void,
): Promise<Experiment[]> {
  const modelsDir = await mkdtemp(join(tmpdir(), 'modelship-bench-ab-'));
  try {
    const models = await writeTaskModels(modelsDir);
    return await measureAb(
      refs,
      () => ({ MODELS_DIR: modelsDir }),
      models.flatMap((model) =>
        inputs.map((input) => ({ model, input, request: predictRequest(input, model.model) })),
      ),
      ['inference'],
      cores,
      rounds,
      log,
    );
  } finally {
    await rm(modelsDir, { recursive: true, force: true });
  }
}

/** The OCR model of each ref (its own models/ocr) on `inputs`, interleaved as measureTaskAb does. */
export function measureOcrAb(
  refs: string[],
  inputs: TaskInput[],
  cores: number,
  rounds: number,
  log: (message: string) => void,
): Promise<Experiment[]> {
  const model = { task: 'ocr', model: 'ocr' };
  return measureAb(
    refs,
    (build) => ({ MODELS_DIR: join(build.dir, 'models') }),
    inputs.map((input) => ({ model, input, request: predictRequest(input, model.model) })),
    ['detection', 'recognition'],
    cores,
    rounds,
    log,
  );
}

interface AbCase {
  model: { task: string; model: string };
  input: TaskInput;
  request: ReturnType<typeof predictRequest>;
}

async function measureAb(
  refs: string[],
  envOf: (build: Build) => Record<string, string>,
  cases: AbCase[],
  /** The stages that are the model's own run: overhead is server time minus these. */
  modelStages: string[],
  cores: number,
  rounds: number,
  log: (message: string) => void,
): Promise<Experiment[]> {
  const builds = refs.map((ref) => buildRef(ref, log));
  const apis: ApiProcess[] = [];
  try {
    for (const build of builds) {
      const env = { WORKERS: String(cores), ORT_PROVIDERS: 'cpu', ...envOf(build) };
      apis.push(await startApi(env, { entry: build.entry }));
    }
    const samples = cases.map(() => builds.map((): Sample[] => []));
    const call = async (api: ApiProcess, c: (typeof cases)[number]): Promise<Sample> => {
      const started = performance.now();
      const answer: PredictResponse = await predict(api.url, c.request);
      const clientMs = performance.now() - started;
      const model = modelStages.reduce((sum, stage) => sum + (answer.timings[stage] ?? 0), 0);
      const stagesMs = Object.fromEntries(
        Object.entries(answer.timings)
          .filter(([stage]) => !modelStages.includes(stage))
          .map(([stage, seconds]) => [stage, seconds * 1000]),
      );
      return { clientMs, overheadMs: (answer.time - model) * 1000, stagesMs };
    };
    for (const api of apis) for (const c of cases) for (let i = 0; i < 3; i++) await call(api, c);
    log(`task-ab: ${rounds} rounds over ${builds.length} builds × ${cases.length} cases`);
    for (let round = 0; round < rounds; round++) {
      for (const [k, c] of cases.entries()) {
        for (let i = 0; i < apis.length; i++) {
          const b = (i + round) % apis.length;
          samples[k]?.[b]?.push(await call(apis[b] as ApiProcess, c));
        }
      }
    }
    return cases.flatMap((c, k) =>
      builds.map((build, b): Experiment => {
        const runs = samples[k]?.[b] ?? [];
        const overhead = median(runs.map((s) => s.overheadMs));
        const overheadOf = (i: number) => median((samples[k]?.[i] ?? []).map((s) => s.overheadMs));
        const ratios = b > 0 ? `, ${times(overhead / overheadOf(b - 1))} the row above` : ' (baseline)';
        const latency = summarize(runs.map((s) => s.clientMs));
        // Where the overhead goes: each stage's p50 (the rest is the hand-off to the worker and the HTTP layer).
        const stages = Object.keys(runs[0]?.stagesMs ?? {})
          .map((stage) => `${stage} ${num(median(runs.map((s) => s.stagesMs[stage] ?? 0)))}`)
          .join(' · ');
        return {
          name: `${build.sha} ${build.subject.length > 80 ? `${build.subject.slice(0, 79)}…` : build.subject}`,
          setting: `${c.model.task} (${c.model.model})`,
          concurrency: 1,
          input: c.input.id,
          requests: latency.n,
          requestsPerSecond: latency.n / (runs.reduce((s, x) => s + x.clientMs, 0) / 1000),
          latency,
          note:
            `overhead p50 ${num(overhead)} ms${ratios}` +
            (b > 1 ? `, ${times(overhead / overheadOf(0))} the first` : '') +
            (stages ? ` (${stages})` : ''),
        };
      }),
    );
  } finally {
    await Promise.all(apis.map((api) => api.stop()));
  }
}

/** Writes <out>/task-ab.{md,json}, or <out>/ocr-ab.{md,json} for the OCR pipeline. */
export async function writeTaskAb(
  out: string,
  rows: Experiment[],
  log: (message: string) => void,
  pipeline: 'task' | 'ocr' = 'task',
) {
  await mkdir(out, { recursive: true });
  const base = join(out, `${pipeline}-ab`);
  const what =
    pipeline === 'ocr'
      ? {
          title: 'OCR pipeline',
          serves: "serves its own OCR model (models/ocr as of the commit) on the main report's inputs",
          overhead: 'detection and recognition',
        }
      : {
          title: 'detect/classify pipeline',
          serves: 'serves the synthetic models of the main report',
          overhead: 'inference',
        };
  const date = new Date().toISOString();
  await writeFile(`${base}.json`, `${JSON.stringify({ date, commit: describeCommit(), rows }, null, 2)}\n`);
  const table = markdownTable(
    ['commit', 'task', 'input', 'requests', 'p50 ms', 'p95 ms', `overhead (server − ${what.overhead})`],
    rows.map((e) => [
      e.name,
      e.setting,
      e.input,
      String(e.requests),
      num(e.latency.p50),
      num(e.latency.p95),
      e.note ?? '',
    ]),
  );
  const text = [
    `# modelship benchmark: ${what.title}, commit against commit`,
    '',
    `${date} · \`npm run bench -- --only ${pipeline}-ab --refs …\` · load average ${num(loadavg()[0])} at the end`,
    '',
    `Each commit's API is built from git and ${what.serves}; requests go to`,
    'every build in turn, at concurrency 1, so all rows of one task and input were measured under the same',
    `machine load. Overhead is the server's time minus ${what.overhead}, per request (p50); the ratio compares a`,
    "row with the commit before it, which is one change. Absolute figures depend on the machine's load; the",
    'ratios are the result.',
    '',
    table,
    '',
  ].join('\n');
  await writeFile(`${base}.md`, text);
  log(`wrote ${base}.md and ${base}.json`);
}
