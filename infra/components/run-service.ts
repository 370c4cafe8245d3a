// One Cloud Run (v2) service: its container, resources, billing, scaling, probes and who may invoke it. The
// cloud-run shape runs two: the API (GPU or CPU, private) and the UI (CPU, public), from the pushed images.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { ImageHealth } from '../image-health.js';
import { childOptions } from './options.js';

/** Probe paths and timing. `window` is how long an instance may take to pass its startup probe, seconds. */
export interface ProbeSpec {
  startupPath: string;
  livenessPath: string;
  /** Seconds the container has to pass its startup probe. */
  window: number;
  /** The image's own health check timings (infra/image-health.ts), which the liveness probe keeps. */
  check: Pick<ImageHealth, 'intervalSeconds' | 'timeoutSeconds' | 'retries'>;
}

export interface RunServiceArgs {
  project: string;
  region: string;
  /** Service name: lowercase letters, digits, hyphens; it is part of the run.app URL. */
  serviceName: string;
  description: string;
  /** The identity the container runs as (never the default compute account). */
  serviceAccountEmail: pulumi.Input<string>;
  /** An immutable image reference (`...@sha256:`), so each deploy is a new revision. */
  image: pulumi.Input<string>;
  /** The port the container listens on; Cloud Run passes it in $PORT. */
  port: number;
  cpu: number;
  memoryGib: number;
  /** An NVIDIA L4; needs instance-based billing, >= 4 vCPU and >= 16 GiB (checked in config.ts). */
  gpu?: { zonalRedundancy: boolean };
  /** `instance`: CPU always allocated, billed for the instance's life; `request`: only while serving. */
  billing: 'instance' | 'request';
  minInstances: number;
  maxInstances: number;
  /** Requests one instance takes at once; more wait in Cloud Run's queue or go to a new instance. */
  concurrency: number;
  /** The longest a request may take, seconds. */
  timeoutSeconds: number;
  probes: ProbeSpec;
  env: Record<string, pulumi.Input<string>>;
  /** Environment variables read from Secret Manager (pinned versions). */
  secretEnv?: Record<string, { secret: pulumi.Input<string>; version: pulumi.Input<string> }>;
  /** Anyone may call it (the UI); otherwise only principals with roles/run.invoker (the API). */
  public: boolean;
  labels: Record<string, string>;
}

/** Cloud Run's quantities: `4` vCPU, `16Gi` or `512Mi` memory. */
export function memoryQuantity(gib: number): string {
  return Number.isInteger(gib) ? `${gib}Gi` : `${Math.round(gib * 1024)}Mi`;
}

/** Startup probe every 2 s, up to `window` seconds; Cloud Run caps period and initial delay at 240 s. */
export function probesFor(
  spec: ProbeSpec,
): Pick<gcp.types.input.cloudrunv2.ServiceTemplateContainer, 'startupProbe' | 'livenessProbe'> {
  const period = 2;
  return {
    startupProbe: {
      httpGet: { path: spec.startupPath },
      periodSeconds: period,
      timeoutSeconds: 1,
      failureThreshold: Math.ceil(spec.window / period),
    },
    livenessProbe: {
      httpGet: { path: spec.livenessPath },
      periodSeconds: spec.check.intervalSeconds,
      timeoutSeconds: spec.check.timeoutSeconds,
      failureThreshold: spec.check.retries,
    },
  };
}

export class RunService extends pulumi.ComponentResource {
  readonly service: gcp.cloudrunv2.Service;
  /** https://<name>-<hash>.<region>.run.app */
  readonly url: pulumi.Output<string>;
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: RunServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:infra:RunService', name, {}, opts);
    const limits: Record<string, string> = { cpu: String(args.cpu), memory: memoryQuantity(args.memoryGib) };
    if (args.gpu) limits['nvidia.com/gpu'] = '1';
    const envs: gcp.types.input.cloudrunv2.ServiceTemplateContainerEnv[] = [
      ...Object.entries(args.env).map(([envName, value]) => ({ name: envName, value })),
      ...Object.entries(args.secretEnv ?? {}).map(([envName, ref]) => ({
        name: envName,
        valueSource: { secretKeyRef: { secret: ref.secret, version: ref.version } },
      })),
    ];

    this.service = new gcp.cloudrunv2.Service(
      `${name}-service`,
      {
        project: args.project,
        location: args.region,
        name: args.serviceName,
        description: args.description,
        labels: args.labels,
        ingress: 'INGRESS_TRAFFIC_ALL',
        // Public: no IAM check at all (works under the domain-restricted-sharing org policy, unlike allUsers).
        // Private: every caller needs roles/run.invoker, granted to the UI's account alone.
        invokerIamDisabled: args.public,
        // The provider's default (true) would make `pulumi destroy` fail on the service.
        deletionProtection: false,
        template: {
          serviceAccount: args.serviceAccountEmail,
          executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
          labels: args.labels,
          scaling: { minInstanceCount: args.minInstances, maxInstanceCount: args.maxInstances },
          maxInstanceRequestConcurrency: args.concurrency,
          timeout: `${args.timeoutSeconds}s`,
          ...(args.gpu && {
            nodeSelector: { accelerator: 'nvidia-l4' },
            gpuZonalRedundancyDisabled: !args.gpu.zonalRedundancy,
          }),
          containers: [
            {
              image: args.image,
              ports: { containerPort: args.port },
              resources: {
                limits,
                // false = CPU always allocated (instance-based billing), which a GPU requires.
                cpuIdle: args.billing === 'request',
                startupCpuBoost: true,
              },
              envs,
              ...probesFor(args.probes),
            },
          ],
        },
      },
      childOptions(this, opts),
    );
    this.url = this.service.uri;
    this.name = this.service.name;
    this.registerOutputs({ url: this.url, name: this.name });
  }
}
