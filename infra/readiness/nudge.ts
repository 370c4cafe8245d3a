// Asks a single-vm VM to retry its deploy now, for the readiness step of `pulumi up`: sets the instance
// metadata key its deploy watcher long-polls (infra/vm/startup.sh). Through gcloud, a prerequisite of the
// deploy, logged in as the user who runs `pulumi up`; `add-metadata` keeps every other key (it reads the
// metadata and writes it back with its fingerprint). Needs compute.instances.setMetadata on the VM, which
// whoever can deploy it has.
import { execFile } from 'node:child_process';
import { NUDGE_KEY } from '../vm/metadata.js';

export interface VmRef {
  instance: string;
  zone: string;
  project: string;
}

/** gcloud's arguments; a new `value` each time, or the metadata (and so the watcher) sees no change. */
export function nudgeArgs(vm: VmRef, value: string): string[] {
  return [
    'compute',
    'instances',
    'add-metadata',
    vm.instance,
    '--zone',
    vm.zone,
    '--project',
    vm.project,
    '--metadata',
    `${NUDGE_KEY}=${value}`,
  ];
}

/** The same command for a person to type (README, the readiness hint): the shell supplies the new value. */
export const nudgeCommand = (vm: VmRef): string => `gcloud ${nudgeArgs(vm, '$(date +%s)').join(' ')}`;

/** A nudge for waitUntilReady: resolves to the line to log, never rejects (the wait goes on either way). */
export function gcloudNudge(vm: VmRef, gcloud = 'gcloud'): () => Promise<string> {
  return () =>
    new Promise((resolve) => {
      const value = String(Math.floor(Date.now() / 1000));
      execFile(gcloud, nudgeArgs(vm, value), { timeout: 120_000 }, (error, _stdout, stderr) => {
        if (!error) {
          resolve(`the VM is not serving yet: asked it to retry its deploy now (${NUDGE_KEY}=${value})`);
          return;
        }
        const reason = stderr.trim().split('\n').pop() || error.message;
        resolve(`could not ask the VM to retry its deploy (${reason}); by hand: ${nudgeCommand(vm)}`);
      });
    });
}
