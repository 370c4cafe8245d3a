// `--only task-ab --refs <ref>,<ref>,…`: the detect/classify pipeline of several commits side by side, in one
// run. Each ref's API is built from git into bench/.cache, all of them serve the same synthetic models at
// once, and requests go to them in turn (the order rotating each round), so drift in machine speed hits every
// build alike. Each row's note gives its overhead (server time minus inference, per request) as a ratio to
// the previous ref's: consecutive refs are one change each, so a row is that change's before/after.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PredictResponse, predict, predictRequest } from './api-client.js';
import { type ApiProcess, startApi } from './api-process.js';
import { describeCommit } from './machine.js';
import { markdownTable, num, times } from './markdown.js';
import type { Experiment } from './results.js';
import { median, summarize } from './stats.js';
import type { TaskInput } from './task-bench.js';
import { writeTaskModels } from './tasks.js';

const CACHE = 'bench/.cache/task-ab';

interface Build {
  ref: string;
  sha: string;
  subject: string;
  entry: string;
}

/** The API of `ref` compiled into bench/.cache/task-ab/<sha> (reused when already there). */
function buildRef(ref: string, log: (message: string) => void): Build {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
  const sha = git('rev-parse', '--short=10', `${ref}^{commit}`);
  const subject = git('log', '-1', '--format=%s', sha);
  const dir = join(CACHE, sha);
  const entry = join(dir, 'app/api/dist/server.js');
  if (!existsSync(entry)) {
    log(`task-ab: building ${ref} (${sha}) in ${dir}`);
    execFileSync('mkdir', ['-p', dir]);
    // The API's sources and the tsconfig they extend; modules resolve from the repository's node_modules.
    execFileSync('sh', [
      '-c',
      `git archive ${sha} app/api/src app/api/package.json app/api/tsconfig.build.json tsconfig.base.json | tar -x -C ${dir}`,
    ]);
    execFileSync(process.execPath, [
      'node_modules/typescript/bin/tsc',
      '-p',
      join(dir, 'app/api/tsconfig.build.json'),
    ]);
  }
  return { ref, sha, subject, entry };
}

interface Sample {
  clientMs: number;
  overheadMs: number;
}

/** Every ref's API on every model and input, `rounds` requests each, interleaved; one row per ref and case. */
export async function measureTaskAb(
  refs: string[],
  inputs: TaskInput[],
  cores: number,
  rounds: number,
  log: (message: string) => void,
): Promise<Experiment[]> {
  const builds = refs.map((ref) => buildRef(ref, log));
  const modelsDir = await mkdtemp(join(tmpdir(), 'modelship-bench-ab-'));
  const apis: ApiProcess[] = [];
  try {
    const models = await writeTaskModels(modelsDir);
    for (const build of builds) {
      const env = { WORKERS: String(cores), ORT_PROVIDERS: 'cpu', MODELS_DIR: modelsDir };
      apis.push(await startApi(env, { entry: build.entry }));
    }
    const cases = models.flatMap((model) =>
      inputs.map((input) => ({ model, input, request: predictRequest(input, model.model) })),
    );
    const samples = cases.map(() => builds.map((): Sample[] => []));
    const call = async (api: ApiProcess, c: (typeof cases)[number]): Promise<Sample> => {
      const started = performance.now();
      const answer: PredictResponse = await predict(api.url, c.request);
      const clientMs = performance.now() - started;
      return { clientMs, overheadMs: (answer.time - (answer.timings.inference ?? 0)) * 1000 };
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
            (b > 1 ? `, ${times(overhead / overheadOf(0))} the first` : ''),
        };
      }),
    );
  } finally {
    await Promise.all(apis.map((api) => api.stop()));
    await rm(modelsDir, { recursive: true, force: true });
  }
}

/** Writes <out>/task-ab.{md,json}. */
export async function writeTaskAb(out: string, rows: Experiment[], log: (message: string) => void) {
  await mkdir(out, { recursive: true });
  const base = join(out, 'task-ab');
  const date = new Date().toISOString();
  await writeFile(`${base}.json`, `${JSON.stringify({ date, commit: describeCommit(), rows }, null, 2)}\n`);
  const table = markdownTable(
    ['commit', 'task', 'input', 'requests', 'p50 ms', 'p95 ms', 'overhead (server − inference)'],
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
    '# modelship benchmark: detect/classify pipeline, commit against commit',
    '',
    `${date} · \`npm run bench -- --only task-ab --refs …\``,
    '',
    "Each commit's API is built from git and serves the synthetic models of the main report; requests go to",
    'every build in turn, at concurrency 1, so all rows of one task and input were measured under the same',
    "machine load. Overhead is the server's time minus inference, per request (p50); the ratio compares a",
    "row with the commit before it, which is one change. Absolute figures depend on the machine's load; the",
    'ratios are the result.',
    '',
    table,
    '',
  ].join('\n');
  await writeFile(`${base}.md`, text);
  log(`wrote ${base}.md and ${base}.json`);
}
