// Small process helpers for the VM rehearsal.
import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number;
  /** stdout and stderr interleaved, as a log would show them */
  output: string;
  stdout: string;
}

/** Runs a command to completion; rejects on a non-zero exit unless `allowFailure`. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; allowFailure?: boolean; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    // A command that exits without reading its input closes the pipe first: that EPIPE is not a failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { code: code ?? 1, output, stdout };
      if (result.code !== 0 && !options.allowFailure) {
        reject(new Error(`${command} ${args.join(' ')} exited with ${result.code}:\n${output.slice(-4000)}`));
      } else {
        resolve(result);
      }
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
