import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { sessionOptions } from '../src/ort/session.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8000,
      host: '0.0.0.0',
      providers: ['cpu'],
      workers: availableParallelism(),
      queueSize: 4 * availableParallelism(),
      bodyLimitBytes: 20 * 1024 * 1024,
      maxPixels: 40_000_000,
      maxSide: 65_535,
      logLevel: 'info',
      shutdownTimeout: 10,
      corsOrigins: [],
      appVersion: undefined,
    });
    // The repository's models/ folder, which ships the `ocr` manifest.
    expect(existsSync(join(config.modelsDir, 'ocr', 'model.json'))).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      ORT_PROVIDERS: 'CUDA, cpu',
      WORKERS: '3',
      QUEUE_SIZE: '0',
      BODY_LIMIT_MB: '1.5',
      MAX_PIXELS: '1e6',
      MAX_SIDE: '20000',
      MODELS_DIR: 'some/dir',
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT: '2',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      APP_VERSION: '2.0.0-test',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      providers: ['cuda', 'cpu'],
      workers: 3,
      queueSize: 0,
      bodyLimitBytes: 1.5 * 1024 * 1024,
      maxPixels: 1_000_000,
      maxSide: 20_000,
      logLevel: 'warn',
      shutdownTimeout: 2,
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      appVersion: '2.0.0-test',
    });
    expect(config.modelsDir).toBe(join(process.cwd(), 'some/dir'));
    expect(loadConfig({ WORKERS: '3' }).queueSize).toBe(12);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', WORKERS: '' }).port).toBe(8000);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['WORKERS', '0'],
    ['WORKERS', '1.5'],
    ['QUEUE_SIZE', '-1'],
    ['ORT_PROVIDERS', 'gpu'],
    ['ORT_PROVIDERS', ','],
    ['BODY_LIMIT_MB', '0'],
    ['MAX_PIXELS', 'lots'],
    // Number() reads these as numbers; a typo must not become a port or a limit.
    ['PORT', '0x1f40'],
    ['WORKERS', '0b11'],
    ['BODY_LIMIT_MB', '0o7'],
    ['REQUEST_TIMEOUT', 'Infinity'],
    ['LOG_LEVEL', 'loud'],
    ['SHUTDOWN_TIMEOUT', '-5'],
    ['CORS_ORIGINS', 'https://app.example.com/'],
    ['CORS_ORIGINS', 'app.example.com'],
    ['CORS_ORIGINS', 'https://ok.example, ftp://x'],
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^invalid configuration: .*${name}=`));
  });
});

describe('session options', () => {
  it('splits the cores between the workers: intra-op threads = max(1, floor(C / W))', () => {
    expect(sessionOptions(['cpu'], 1, 8)).toMatchObject({
      executionProviders: ['cpu'],
      intraOpNumThreads: 8,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    expect(sessionOptions(['cpu'], 2, 8).intraOpNumThreads).toBe(4);
    expect(sessionOptions(['cpu'], 3, 8).intraOpNumThreads).toBe(2);
    expect(sessionOptions(['cuda', 'cpu'], 4, 2)).toMatchObject({
      intraOpNumThreads: 1,
      executionProviders: ['cuda', 'cpu'],
    });
  });
});
