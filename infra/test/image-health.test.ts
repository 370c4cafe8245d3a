// The images' health check as infra reads it from the Dockerfile: the one definition Cloud Run's probes use.
import { describe, expect, it } from 'vitest';
import { DOCKERFILE, imageHealth } from '../image-health.js';
import { API_PROBES, UI_PROBES } from '../stacks/cloud-run.js';

describe('imageHealth', () => {
  it('reads each image target of the real Dockerfile: its HEALTH_PATH and its HEALTHCHECK timings', () => {
    const common = { intervalSeconds: 10, timeoutSeconds: 5, retries: 3 };
    expect(imageHealth(DOCKERFILE, 'api')).toEqual({ path: '/ready', startPeriodSeconds: 60, ...common });
    expect(imageHealth(DOCKERFILE, 'api-gpu')).toEqual({
      path: '/ready',
      startPeriodSeconds: 300,
      ...common,
    });
    expect(imageHealth(DOCKERFILE, 'ui')).toEqual({ path: '/healthz', startPeriodSeconds: 60, ...common });
  });

  it('follows the FROM chain (the last HEALTHCHECK and HEALTH_PATH win) and applies Docker defaults', () => {
    const file = [
      'FROM node:22 AS base',
      'HEALTHCHECK --interval=1m --retries=5 CMD ["healthcheck"]',
      'ENV HEALTH_PATH=/old',
      'FROM base AS app',
      '# a comment',
      'ENV PORT=1 \\',
      '    HEALTH_PATH=/new',
      'FROM debian AS other',
    ].join('\n');
    expect(imageHealth(file, 'app')).toEqual({
      path: '/new',
      intervalSeconds: 60,
      timeoutSeconds: 30,
      startPeriodSeconds: 0,
      retries: 5,
    });
  });

  it('refuses a target without a stage, a health check or a path, and a duration it cannot read', () => {
    expect(() => imageHealth('FROM x AS a\n', 'b')).toThrow(/no stage named b/);
    expect(() => imageHealth('FROM x AS a\nENV HEALTH_PATH=/h\n', 'a')).toThrow(/no HEALTHCHECK/);
    expect(() => imageHealth('FROM x AS a\nHEALTHCHECK CMD true\n', 'a')).toThrow(/no HEALTH_PATH/);
    expect(() =>
      imageHealth('FROM x AS a\nENV HEALTH_PATH=/h\nHEALTHCHECK --interval=1h30m CMD true\n', 'a'),
    ).toThrow(/interval/);
  });

  it("is what Cloud Run probes: the image's path at start-up and its timings for liveness", () => {
    for (const [probes, target] of [
      [API_PROBES, 'api'],
      [UI_PROBES, 'ui'],
    ] as const) {
      const health = imageHealth(DOCKERFILE, target);
      expect(probes.startupPath).toBe(health.path);
      expect(probes.check).toMatchObject({
        intervalSeconds: health.intervalSeconds,
        timeoutSeconds: health.timeoutSeconds,
        retries: health.retries,
      });
    }
  });
});
