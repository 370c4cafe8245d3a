// The pure parts of the Docker figures; the engine-driven parts run in `npm run bench` itself.
import { describe, expect, it } from 'vitest';
import { addedLayers, findBase } from '../lib/docker.js';

describe('findBase', () => {
  const candidates = new Map([
    ['debian:bookworm-slim', ['sha256:a']],
    ['node:22-bookworm-slim', ['sha256:a', 'sha256:b', 'sha256:c']],
    ['caddy:2', ['sha256:x']],
  ]);

  it('picks the candidate with the longest layer prefix', () => {
    expect(findBase(['sha256:a', 'sha256:b', 'sha256:c', 'sha256:d'], candidates)).toBe(
      'node:22-bookworm-slim',
    );
    expect(findBase(['sha256:a', 'sha256:z'], candidates)).toBe('debian:bookworm-slim');
  });

  it('is null when no candidate is a prefix', () => {
    expect(findBase(['sha256:q'], candidates)).toBeNull();
    expect(findBase([], candidates)).toBeNull();
  });
});

describe('addedLayers', () => {
  it('keeps the non-empty history entries above the base, newest first, without the shell prefix', () => {
    const history = [
      { size: 0, createdBy: '/bin/sh -c #(nop)  CMD ["node" "dist/server.js"]' },
      { size: 52_000_000, createdBy: 'COPY /app/node_modules ./node_modules # buildkit' },
      { size: 1_500_000, createdBy: '/bin/sh -c npm prune --omit=dev' },
      { size: 40_000_000, createdBy: 'base layer 2' },
      { size: 30_000_000, createdBy: 'base layer 1' },
    ];
    expect(addedLayers(history, 2)).toEqual([
      { sizeMB: 52, createdBy: 'COPY /app/node_modules ./node_modules # buildkit' },
      { sizeMB: 1.5, createdBy: 'npm prune --omit=dev' },
    ]);
  });

  it('is empty when the base accounts for all history', () => {
    expect(addedLayers([{ size: 5, createdBy: 'x' }], 3)).toEqual([]);
  });
});
