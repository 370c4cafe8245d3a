// Builds the real API runtime (manifests, worker pool, app) in-process for tests, and serves it on a free port.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { serve } from '@hono/node-server';
import { distance } from 'fastest-levenshtein';
import sharp from 'sharp';
import { afterAll, beforeAll, expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';

export interface TestRuntime extends Runtime {
  /** The JSON log lines written so far. */
  logLines: string[];
}

/** The runtime as server.ts builds it, from these env settings; the pool starts warming up right away. */
export async function startRuntime(env: Record<string, string> = {}): Promise<TestRuntime> {
  const config = loadConfig({ WORKERS: '1', LOG_LEVEL: 'info', ...env });
  const logLines: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => logLines.push(line) });
  const runtime = await createRuntime(config, logger);
  return { ...runtime, logLines };
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Serves the app on 127.0.0.1 and an ephemeral port. */
export async function listen(runtime: Runtime): Promise<Listening> {
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: runtime.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A warmed-up runtime (these env settings) behind a real listening server, started before the calling suite's
 * tests and closed after them. The returned object is filled in by the time the tests run.
 */
export function servedForSuite(env: Record<string, string> = {}): { rt: TestRuntime; server: Listening } {
  const suite = {} as { rt: TestRuntime; server: Listening };
  beforeAll(async () => {
    suite.rt = await startRuntime(env);
    suite.server = await listen(suite.rt);
    await suite.rt.pool.ready;
  });
  afterAll(async () => {
    await suite.server?.close();
    await suite.rt?.pool.close();
  });
  return suite;
}

/** A JPEG whose header claims `width`×`height` pixels (a decompression-bomb stand-in: tiny file, huge image). */
export async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
    .jpeg()
    .toBuffer();
  // SOF0/SOF2 segment: FF C0|C2, length (2), precision (1), height (2), width (2).
  for (let i = 0; i < jpeg.length - 8; i++) {
    if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
  }
  throw new Error('no SOF marker in the JPEG');
}

/** A small PNG whose IHDR claims `width`×`height` pixels (CRC fixed up): a header-only stand-in for a real one. */
export async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
    .png()
    .toBuffer();
  // The IHDR chunk follows the 8-byte signature: length (4), "IHDR" (4), width (4), height (4), ..., CRC (4).
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

/** GET /v1/models through the app: each model's name, with its status and, for a failed one, the reason. */
export async function listedModels(
  runtime: Pick<Runtime, 'app'>,
): Promise<{ name: string; status?: string; reason?: string }[]> {
  return (await (await runtime.app.request('/v1/models')).json()) as {
    name: string;
    status?: string;
    reason?: string;
  }[];
}

/** The recognised texts of a predict response body, in order. */
export const texts = (body: unknown) =>
  (body as { detections: { text?: string }[] }).detections.map((d) => d.text);

/**
 * The response read these lines, allowing a character or two per line: the OCR's exact accuracy is the OCR
 * suite's subject; here a multi-line image proves the whole path (decode, detection order, recognition).
 */
export function expectLines(body: unknown, lines: string[]): void {
  const read = texts(body);
  expect(read).toHaveLength(lines.length);
  read.forEach((text, i) => {
    expect(distance(text ?? '', lines[i] ?? ''), `"${text}" vs "${lines[i]}"`).toBeLessThanOrEqual(2);
  });
}
