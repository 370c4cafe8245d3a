// Tools for the hostile suite: raw HTTP clients that report resets, a dense-text image, RSS sampling.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll } from 'vitest';
import { type Service, startApi, startUi } from '../browser/stack.js';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with node:http (fetch hides resets behind "fetch failed"); rejects with the socket error. */
export function request(
  url: string,
  options: http.RequestOptions & { body?: Uint8Array | string; signal?: AbortSignal } = {},
): Promise<RawResponse> {
  const { body, ...rest } = options;
  return new Promise((resolve, reject) => {
    const req = http.request(url, rest, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < 100_000) text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A PNG of a dense grid of tiny words: ~800 text boxes, each of which the recogniser must run over. */
export async function denseTextPng(): Promise<Buffer> {
  const words = ['mod', 'ship', 'ocr', 'box', 'text', 'dense', 'grid', 'word', 'tiny', 'run'];
  const cells: string[] = [];
  for (let row = 0; row < 64; row++) {
    for (let col = 0; col < 13; col++) {
      const word = words[(row * 7 + col * 3) % words.length];
      const at = `x="${6 + col * 55}" y="${14 + row * 16}"`;
      cells.push(`<text ${at} font-family="DejaVu Sans" font-size="10">${word}</text>`);
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="1040">
    <rect width="100%" height="100%" fill="white"/>${cells.join('')}</svg>`;
  return sharp(Buffer.from(svg)).png({ compressionLevel: 9, palette: true }).toBuffer();
}

/** Resident memory of a process in MB (Linux). */
export function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

/** Samples a process's RSS every 50 ms until stopped; returns the peak. */
export function peakRss(pid: number): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // exited
    }
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** The socket error code of a failed node:http request (ECONNRESET, ECONNREFUSED, ...). */
export const errorCode = (error: unknown) =>
  (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message ?? String(error);

/** The built API (one worker) and the UI server in front of it, started for the calling suite. */
export interface Stack {
  api: Service;
  ui: Service;
}

/**
 * Starts the stack before the suite's tests and stops it after them; `env` adds settings to each server. The
 * returned object is filled in by the time the tests run.
 */
export function stackForSuite(
  env: { api?: Record<string, string>; ui?: Record<string, string> } = {},
): Stack {
  const stack = {} as Stack;
  beforeAll(async () => {
    stack.api = await startApi({ env: { WORKERS: '1', ...env.api } });
    stack.ui = await startUi(stack.api.url, env.ui);
  });
  afterAll(async () => {
    await stack.ui?.stop();
    await stack.api?.stop();
  });
  return stack;
}
