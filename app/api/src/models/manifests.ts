// Loads every models/<name>/model.json, validates it with its task's schema and refuses bad ones with a
// message naming the file and the field, so a typo stops the server at start rather than at the first request.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { findTask, taskNames } from '../tasks/index.js';

export interface LoadedManifest {
  name: string;
  task: string;
  /** Absolute path of the model's folder. */
  dir: string;
  /** The parsed JSON before validation: what worker threads re-validate into their own typed manifest. */
  raw: unknown;
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

export async function loadManifests(modelsDir: string): Promise<LoadedManifest[]> {
  let entries: string[];
  try {
    entries = (await readdir(modelsDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    throw new ManifestError(`cannot read the models folder ${modelsDir}: ${(error as Error).message}`);
  }

  const loaded: LoadedManifest[] = [];
  for (const folder of entries) {
    const dir = join(modelsDir, folder);
    const file = join(dir, 'model.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // a folder without a manifest (e.g. shared weights) is not a model
    }
    const model = parseManifest(file, text);
    const duplicate = loaded.find((m) => m.name === model.name);
    if (duplicate) {
      throw new ManifestError(
        `${file}: model name "${model.name}" is already used by ${join(duplicate.dir, 'model.json')}`,
      );
    }
    loaded.push({ ...model, dir });
  }
  if (loaded.length === 0)
    throw new ManifestError(`no models found: no ${join(modelsDir, '*', 'model.json')}`);
  return loaded;
}

function parseManifest(file: string, text: string): Omit<LoadedManifest, 'dir'> {
  let raw: unknown;
  try {
    // Windows editors (Notepad) save UTF-8 with a byte-order mark, which JSON.parse refuses.
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ManifestError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ManifestError(`${file}: must be a JSON object`);
  }
  const taskName = (raw as Record<string, unknown>).task;
  const known = taskNames().join(', ');
  if (typeof taskName !== 'string')
    throw new ManifestError(`${file}: field "task" is required (one of: ${known})`);
  const task = findTask(taskName);
  if (!task) throw new ManifestError(`${file}: field "task": unknown task "${taskName}" (known: ${known})`);

  const result = task.manifestSchema.safeParse(raw);
  if (!result.success) throw new ManifestError(`${file}: ${describeIssues(result.error)}`);
  const manifest = result.data as { name: string; task: string };
  return { name: manifest.name, task: manifest.task, raw };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      return `field "${field}": ${issue.message}`;
    })
    .join('; ');
}
