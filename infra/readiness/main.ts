// Entry point run by the readiness Command during `pulumi up` (node --import tsx infra/readiness/main.ts).
// Settings come from the environment the Command sets; the exit code tells Pulumi whether the URL works.
import { gcloudNudge } from './nudge.js';
import { STOPPED_STATUSES, waitUntilReady } from './wait.js';

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`readiness: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

// GCE's states of a VM that is not running: its URL cannot answer, and that is not a failed deploy.
const vmStatus = process.env.MODELSHIP_VM_STATUS ?? '';
if (STOPPED_STATUSES.includes(vmStatus)) {
  console.log(
    `the VM is ${vmStatus.toLowerCase()}, so its URL does not answer. ${process.env.MODELSHIP_STOPPED_HINT ?? ''}`,
  );
  process.exit(0);
}

// single-vm: the VM to nudge when its URL does not work (its deploy may be stuck in a backoff)
const instance = process.env.MODELSHIP_NUDGE_INSTANCE;
const nudge = instance
  ? gcloudNudge({ instance, zone: env('MODELSHIP_NUDGE_ZONE'), project: env('MODELSHIP_NUDGE_PROJECT') })
  : undefined;

try {
  await waitUntilReady({
    url: env('MODELSHIP_URL'),
    version: env('MODELSHIP_VERSION'),
    timeoutMs: Number(env('MODELSHIP_TIMEOUT_SECONDS')) * 1000,
    intervalMs: 10_000,
    requestTimeoutMs: 10_000,
    ...(process.env.MODELSHIP_BASIC_AUTH && { basicAuth: process.env.MODELSHIP_BASIC_AUTH }),
    ...(process.env.MODELSHIP_HINT && { hint: process.env.MODELSHIP_HINT }),
    ...(nudge && { nudge }),
    log: (line) => console.log(line),
  });
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
