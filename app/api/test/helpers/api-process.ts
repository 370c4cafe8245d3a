// The real API server process (`src/server.ts` under tsx) on a free port, with its stdout parsed as JSON lines.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const apiDir = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];

/** Kills every server this module started that is still running (for afterAll). */
export function stopServers(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}

/** Starts the server; resolves with its URL and the lines it printed so far (the array keeps growing). */
export async function startServer(env: Record<string, string>) {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: apiDir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', WORKERS: '1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  proc.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
        lines.push(line);
        if (typeof line.port === 'number') resolve(line.port);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    });
    proc.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  while ((await fetch(`${url}/ready`)).status !== 200) await new Promise((r) => setTimeout(r, 200));
  return { proc, url, lines };
}
