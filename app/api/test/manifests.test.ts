// Manifest loading: every models/*/model.json is validated at start, and the server refuses to start with a
// message naming the file and the field. Bad manifests are written into temporary models folders.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { loadManifests } from '../src/models/manifests.js';
import { startRuntime } from './helpers/api-runtime.js';

const repoModels = loadConfig({}).modelsDir;
const ocrJson = JSON.parse(await readFile(join(repoModels, 'ocr', 'model.json'), 'utf8')) as Record<
  string,
  unknown
>;
const apiDir = fileURLToPath(new URL('..', import.meta.url));
const temps: string[] = [];

/** A models folder with these manifests (objects are JSON-encoded, strings written as they are). */
async function modelsDir(manifests: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'modelship-manifests-'));
  temps.push(dir);
  for (const [folder, manifest] of Object.entries(manifests)) {
    await mkdir(join(dir, folder));
    const text = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
    await writeFile(join(dir, folder, 'model.json'), text);
  }
  return dir;
}

afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('loadManifests', () => {
  it('loads the repository models', async () => {
    const models = await loadManifests(repoModels);
    expect(models.map((m) => m.name)).toContain('ocr');
    const ocr = models.find((m) => m.name === 'ocr');
    expect(ocr).toMatchObject({ task: 'ocr', dir: join(repoModels, 'ocr'), raw: ocrJson });
  });

  it('skips folders without a manifest and sorts by folder', async () => {
    const dir = await modelsDir({ b: { ...ocrJson, name: 'second' }, a: { ...ocrJson, name: 'first' } });
    await mkdir(join(dir, 'weights-only'));
    expect((await loadManifests(dir)).map((m) => m.name)).toEqual(['first', 'second']);
  });

  it.each([
    ['not JSON', '{"name": "ocr",', /model\.json: not valid JSON/],
    ['not an object', '[1, 2]', /model\.json: must be a JSON object/],
    ['no task', { name: 'x' }, /model\.json: field "task" is required \(one of: ocr, detect, classify\)/],
    [
      'unknown task',
      { ...ocrJson, task: 'segment' },
      /field "task": unknown task "segment" \(known: ocr, detect, classify\)/,
    ],
    ['bad name', { ...ocrJson, name: 'My Model' }, /field "name": 1 to 63 lower-case letters/],
    ['a 64-character name', { ...ocrJson, name: 'a'.repeat(64) }, /field "name": 1 to 63 lower-case letters/],
    [
      'a package path that leaves the package',
      { name: 'det', task: 'detect', model: { package: 'sharp', path: '../../../etc/passwd' } },
      /field "model\.path": must be a file inside the npm package: a path relative to its folder, without "\.\."/,
    ],
    [
      'an absolute package path',
      { name: 'det', task: 'detect', model: { package: 'sharp', path: '/etc/passwd' } },
      /field "model\.path": must be a file inside the npm package/,
    ],
    ['missing files', { ...ocrJson, files: undefined }, /field "files": /],
    [
      'mistyped nested field',
      { ...ocrJson, detection: { ...(ocrJson.detection as object), threshold: 'high' } },
      /field "detection\.threshold": /,
    ],
    ['unknown field', { ...ocrJson, thresold: 0.5 }, /thresold/],
    [
      'a classifier without "model"',
      { name: 'cls', task: 'classify' },
      /field "model": is required: the path of the \.onnx model file \(e\.g\. "model\.onnx"\), relative to the model's folder/,
    ],
    [
      'a detector whose "model" is a number',
      { name: 'det', task: 'detect', model: 7 },
      /field "model": the path of the \.onnx/,
    ],
  ])('refuses %s, naming the file and the field', async (_name, manifest, message) => {
    const dir = await modelsDir({ broken: manifest });
    const error = loadManifests(dir);
    await expect(error).rejects.toThrow(message);
    await expect(error).rejects.toThrow(join(dir, 'broken', 'model.json'));
  });

  it('accepts a model.json saved with a UTF-8 byte-order mark (Windows Notepad)', async () => {
    const dir = await modelsDir({ bom: `\uFEFF${JSON.stringify({ ...ocrJson, name: 'bom' })}` });
    expect((await loadManifests(dir)).map((m) => m.name)).toEqual(['bom']);
  });

  it('refuses duplicate model names', async () => {
    const dir = await modelsDir({ one: ocrJson, two: ocrJson });
    await expect(loadManifests(dir)).rejects.toThrow(
      `${join(dir, 'two', 'model.json')}: model name "ocr" is already used by ${join(dir, 'one', 'model.json')}`,
    );
  });

  it('refuses an empty or missing models folder', async () => {
    await expect(loadManifests(await modelsDir({}))).rejects.toThrow(/no models found/);
    await expect(loadManifests('/nonexistent/models')).rejects.toThrow(/cannot read the models folder/);
  });
});

describe('the server refuses to start', () => {
  const start = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: apiDir,
      env: { ...process.env, PORT: '0', WORKERS: '1', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('on a bad manifest, with one line naming the file and the field', async () => {
    const dir = await modelsDir({ ocr: { ...ocrJson, confidence: 7 } });
    const result = start({ MODELS_DIR: dir });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(
      new RegExp(`^modelship-api: ${join(dir, 'ocr', 'model.json')}: field "confidence": .+$`),
    );
  });

  it('on a bad environment variable, naming it', () => {
    const result = start({ WORKERS: 'many' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(/^modelship-api: invalid configuration: WORKERS="many": /);
  });

  it('when a model file is missing: the workers fail to load and ready rejects', async () => {
    const files = { ...(ocrJson.files as object), detection: 'missing.onnx' };
    const dir = await modelsDir({ ocr: { ...ocrJson, files } });
    const rt = await startRuntime({ MODELS_DIR: dir });
    await expect(rt.pool.ready).rejects.toThrow(/missing\.onnx does not exist/);
    expect(rt.deps.plane.isReady).toBe(false);
    expect((await rt.app.request('/ready')).status).toBe(503);
    await rt.pool.close();
  });
});
