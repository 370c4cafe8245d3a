// The UI proxy during an API restart (what a rollout does): clients of the UI must see no failed request.
// Lives in the browser suite because it needs the built API; it drives plain HTTP, no browser.
import { afterAll, expect, it } from 'vitest';
import { textFixture } from '../fixtures/text-images.js';
import { freePort } from '../helpers/free-port.js';
import { type Service, startApi, startUi } from './stack.js';

const services: Service[] = [];
afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
});

it('a client polling the UI gets answers throughout a restart of the API', async () => {
  const port = await freePort();
  const first = await startApi({ port });
  services.push(first);
  const ui = await startUi(first.url);
  services.push(ui);
  const image = (await textFixture('word')).png;

  const failures: string[] = [];
  let answered = 0;
  let running = true;
  const poll = async (call: () => Promise<Response>, check: (body: unknown) => boolean) => {
    while (running) {
      try {
        const res = await call();
        const body = await res.json();
        if (res.status !== 200 || !check(body)) failures.push(`${res.status} ${JSON.stringify(body)}`);
        else answered += 1;
      } catch (error) {
        failures.push(String(error));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const clients = [
    poll(
      () => fetch(`${ui.url}/api/health`),
      (b) => (b as { status?: string }).status === 'ok',
    ),
    poll(
      () =>
        fetch(`${ui.url}/api/v1/models/ocr/predict`, {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: image,
        }),
      (b) => (b as { detections?: { text?: string }[] }).detections?.[0]?.text === 'Hello',
    ),
  ];

  await new Promise((r) => setTimeout(r, 1_000));
  const before = answered;
  await first.stop(); // SIGTERM: the API finishes what is in flight, then refuses connections
  services.push(await startApi({ port, noWait: true })); // loads and warms up while clients keep asking
  const deadline = Date.now() + 60_000;
  while (answered < before + 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  running = false;
  await Promise.all(clients);

  expect(failures).toEqual([]);
  expect(answered).toBeGreaterThanOrEqual(before + 6);
  expect(ui.output()).toMatch(/api (unreachable|not ready), retrying/);
});
