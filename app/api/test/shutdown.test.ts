// Graceful shutdown of the real server process: SIGTERM while a prediction runs lets it finish, then exit 0.
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { textFixture } from '../../../test/fixtures/text-images.js';
import { startServer, stopServers } from './helpers/api-process.js';
import { expectLines } from './helpers/api-runtime.js';

afterAll(stopServers);

describe('graceful shutdown', () => {
  it('finishes the request in flight after SIGTERM, refuses new work, and exits 0', async () => {
    const { proc, url, lines } = await startServer({ APP_VERSION: '9.9.9-shutdown' });
    expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ version: '9.9.9-shutdown' });

    const paragraph = await textFixture('paragraph');
    const inFlight = fetch(`${url}/v1/models/ocr/predict`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/png' },
      body: paragraph.png,
    });
    let answered = false;
    void inFlight.then(() => {
      answered = true;
    });
    // Wait until the server has admitted the prediction, then ask it to stop.
    while (!/^modelship_inflight_requests 1$/m.test(await (await fetch(`${url}/metrics`)).text())) {
      expect(answered, 'the prediction finished before SIGTERM could be sent').toBe(false);
      await new Promise((r) => setTimeout(r, 20));
    }
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');

    const res = await inFlight;
    expect(res.status).toBe(200);
    expectLines(await res.json(), paragraph.lines);

    const [code] = await exited;
    expect(code).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    expect(lines.map((l) => l.message)).toEqual(
      expect.arrayContaining(['shutting down: finishing requests in flight', 'stopped']),
    );
  });
});
