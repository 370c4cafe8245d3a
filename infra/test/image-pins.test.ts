import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PIN_FILES, parseImageName, readPins, rewritePins } from '../image-pins.js';

const root = new URL('../../', import.meta.url);
const pins = PIN_FILES.flatMap((file) =>
  readPins(readFileSync(new URL(file, root), 'utf8')).map((pin) => ({ file, ...pin })),
);

describe('pinned base images', () => {
  it('pins node, CUDA and Caddy by digest, each in one file', () => {
    expect(pins.map(({ file, variable, image }) => [file, variable, image])).toEqual([
      ['Dockerfile', 'NODE_IMAGE', 'node:22-bookworm-slim'],
      ['Dockerfile', 'CUDA_IMAGE', 'nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04'],
      ['docker-compose.caddy.yml', 'CADDY_IMAGE', 'caddy:2'],
    ]);
  });

  it('writes each digest in exactly one tracked file (the pin), and no image there floats by tag', () => {
    for (const pin of pins) {
      const files = execFileSync('git', ['grep', '--untracked', '-l', pin.digest.slice('sha256:'.length)], {
        cwd: root,
        encoding: 'utf8',
      });
      expect(files.trim().split('\n'), pin.variable).toEqual([pin.file]);
    }
    const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
    const external = [...dockerfile.matchAll(/^FROM (\S+)/gm)]
      .map((m) => m[1] ?? '')
      .filter((f) => f.includes(':'));
    expect(external).toHaveLength(2);
    for (const from of external) expect(from).toMatch(/^\$\{[A-Z_]+:-[^}]+@sha256:[0-9a-f]{64}\}$/);
  });

  it('rewrites only the digests it is given, keeping the tag and the variable', () => {
    const text =
      'FROM ${NODE_IMAGE:-node:22@sha256:' +
      'a'.repeat(64) +
      '} AS node\nimage: ${CADDY_IMAGE:-caddy:2@sha256:' +
      'b'.repeat(64) +
      '}\n';
    const moved = rewritePins(text, new Map([['CADDY_IMAGE', `sha256:${'c'.repeat(64)}`]]));
    expect(readPins(moved)).toEqual([
      { variable: 'NODE_IMAGE', image: 'node:22', digest: `sha256:${'a'.repeat(64)}` },
      { variable: 'CADDY_IMAGE', image: 'caddy:2', digest: `sha256:${'c'.repeat(64)}` },
    ]);
    expect(moved.replace(/c{64}/, 'b'.repeat(64))).toBe(text);
  });

  it('names images the way Docker normalises them', () => {
    expect(parseImageName('node:22-bookworm-slim')).toEqual({
      registry: 'docker.io',
      repository: 'library/node',
      tag: '22-bookworm-slim',
    });
    expect(parseImageName('nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04')).toMatchObject({
      registry: 'docker.io',
      repository: 'nvidia/cuda',
    });
    expect(parseImageName('127.0.0.1:5000/test/node:22')).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'test/node',
      tag: '22',
    });
    expect(parseImageName('localhost/x:1').registry).toBe('localhost');
    expect(() => parseImageName('127.0.0.1:5000/test/node')).toThrow(/needs a tag/);
  });
});
