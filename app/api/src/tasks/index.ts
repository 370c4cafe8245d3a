// The task registry: every model task the server can serve. A new task plugs in with one line here.
import { classifyTask } from './classify/index.js';
import { detectTask } from './detect/index.js';
import { ocrTask } from './ocr/index.js';
import type { TaskDefinition } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: each task has its own manifest type; the registry holds them all.
type AnyTask = TaskDefinition<any>;

export const tasks: readonly AnyTask[] = [ocrTask, detectTask, classifyTask];

export function findTask(name: string): AnyTask | undefined {
  return tasks.find((t) => t.task === name);
}

export function taskNames(): string[] {
  return tasks.map((t) => t.task);
}
