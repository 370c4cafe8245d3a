// Makes `pulumi up` end only when the URL works: a local Command runs infra/readiness/main.ts, which polls
// https://<host>/api/ready and /api/health until the deployed version answers (bounded, with progress).
// It re-runs whenever an image digest or the startup script changes, i.e. on every real redeploy, and when
// the VM is replaced. A VM that does not serve after a while is nudged to retry its deploy now.
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import { childOptions } from './options.js';

export interface ReadinessArgs {
  /** Public base URL, https://<host>. */
  url: pulumi.Input<string>;
  /** Version /api/health must report. */
  version: pulumi.Input<string>;
  timeoutMinutes: number;
  /** `user:password` (secret) when the site is behind basic auth. */
  basicAuth?: pulumi.Input<string>;
  /** Shown when the wait times out: where to look next. */
  hint: pulumi.Input<string>;
  /** Values whose change re-runs the wait: image digests and the startup script. */
  triggers: pulumi.Input<unknown>[];
  /** Absolute path of the repository root (the command runs there, where tsx is installed). */
  repoRoot: string;
  /** The VM's status as GCE reports it: a stopped VM is reported as stopped, not waited for. */
  vmStatus?: pulumi.Input<string>;
  /** Shown when the VM is stopped. */
  stoppedHint?: pulumi.Input<string>;
  /** The VM to nudge (infra/readiness/nudge.ts) when the URL still does not work after a while. */
  nudge?: { instance: pulumi.Input<string>; zone: string; project: string };
}

export const READINESS_SCRIPT = 'infra/readiness/main.ts';

export class Readiness extends pulumi.ComponentResource {
  readonly command: command.local.Command;

  constructor(name: string, args: ReadinessArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:infra:Readiness', name, {}, opts);
    const environment: Record<string, pulumi.Input<string>> = {
      MODELSHIP_URL: args.url,
      MODELSHIP_VERSION: args.version,
      MODELSHIP_TIMEOUT_SECONDS: String(args.timeoutMinutes * 60),
      MODELSHIP_HINT: args.hint,
    };
    if (args.basicAuth) environment.MODELSHIP_BASIC_AUTH = pulumi.secret(args.basicAuth);
    if (args.vmStatus) environment.MODELSHIP_VM_STATUS = args.vmStatus;
    if (args.stoppedHint) environment.MODELSHIP_STOPPED_HINT = args.stoppedHint;
    if (args.nudge) {
      environment.MODELSHIP_NUDGE_INSTANCE = args.nudge.instance;
      environment.MODELSHIP_NUDGE_ZONE = args.nudge.zone;
      environment.MODELSHIP_NUDGE_PROJECT = args.nudge.project;
    }
    this.command = new command.local.Command(
      `${name}-wait`,
      {
        create: `node --import tsx ${READINESS_SCRIPT}`,
        dir: args.repoRoot,
        environment,
        triggers: args.triggers,
        // Progress lines go to the pulumi up console; they never contain the credentials.
        logging: 'stdoutAndStderr',
      },
      // The script bounds itself; this only guards against a hung process.
      childOptions(this, opts, {
        customTimeouts: { create: `${args.timeoutMinutes + 5}m`, update: `${args.timeoutMinutes + 5}m` },
      }),
    );
    this.registerOutputs({ stdout: this.command.stdout });
  }
}
