// The VM: its own service account with only the roles it needs, and the instance that runs the compose stack.
// The instance's metadata (startup script, compose files, image digests, settings) is rendered by
// infra/vm/metadata.ts; the key `startup-script` updates in place, so a new deploy never replaces the VM.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { isN1 } from '../config.js';
import { childOptions } from './options.js';
import { secretAccessor } from './secret.js';

export interface GpuSpec {
  type: string;
  count: number;
}

export interface VmArgs {
  project: string;
  zone: string;
  /** Artifact Registry repository the VM pulls from: `{ location, name }` of the repository resource. */
  repository: { location: pulumi.Input<string>; name: pulumi.Input<string> };
  /** Service account ID (6-30 chars). */
  accountId: string;
  machineType: string;
  gpu?: GpuSpec;
  spot: boolean;
  bootDiskGb: number;
  vmImage: string;
  /** Network tag matched by the firewall rules. */
  tag: string;
  subnetwork: pulumi.Input<string>;
  /** Static external IP. */
  ip: pulumi.Input<string>;
  metadata: pulumi.Input<Record<string, pulumi.Input<string>>>;
  labels: Record<string, string>;
  /** Secret Manager secrets (IDs) the VM reads with its own identity: the basic-auth password. */
  secrets?: pulumi.Input<string>[];
}

/** Project roles of the VM account; pulling images is granted on the repository alone. */
export const VM_PROJECT_ROLES = ['roles/logging.logWriter', 'roles/monitoring.metricWriter'] as const;
export const VM_REPOSITORY_ROLE = 'roles/artifactregistry.reader';

/**
 * GPU VMs cannot live-migrate, so host maintenance stops them (TERMINATE) and GCE restarts them. Spot VMs
 * must also not restart automatically; on preemption they are stopped (not deleted), keeping disk and IP.
 */
export function schedulingFor(opts: {
  gpu: boolean;
  spot: boolean;
}): gcp.types.input.compute.InstanceScheduling {
  if (opts.spot) {
    return {
      provisioningModel: 'SPOT',
      preemptible: true,
      automaticRestart: false,
      onHostMaintenance: 'TERMINATE',
      instanceTerminationAction: 'STOP',
    };
  }
  return {
    provisioningModel: 'STANDARD',
    preemptible: false,
    automaticRestart: true,
    onHostMaintenance: opts.gpu ? 'TERMINATE' : 'MIGRATE',
  };
}

/** n1 machines (custom ones too) get their GPUs attached; g2 machines come with their L4s, so they declare none. */
export function acceleratorsFor(
  machineType: string,
  gpu?: GpuSpec,
): gcp.types.input.compute.InstanceGuestAccelerator[] {
  return gpu && isN1(machineType) ? [{ type: gpu.type, count: gpu.count }] : [];
}

// Images whose kernel modules (the NVIDIA driver included) are signed, so Secure Boot can stay on. Other
// images (Deep Learning VM, Debian with a DKMS-built driver) load unsigned modules and need it off.
const SECURE_BOOT_IMAGE_PROJECTS = ['ubuntu-os-accelerator-images/', 'ubuntu-os-cloud/'];

export function shieldedConfigFor(vmImage: string): gcp.types.input.compute.InstanceShieldedInstanceConfig {
  return {
    enableSecureBoot: SECURE_BOOT_IMAGE_PROJECTS.some((p) => vmImage.startsWith(p)),
    enableVtpm: true,
    enableIntegrityMonitoring: true,
  };
}

export class Vm extends pulumi.ComponentResource {
  readonly serviceAccount: gcp.serviceaccount.Account;
  readonly instance: gcp.compute.Instance;
  readonly instanceName: pulumi.Output<string>;
  /** GCE's unique ID of the instance: a replaced VM gets a new one (its name may stay the same). */
  readonly instanceId: pulumi.Output<string>;

  constructor(name: string, args: VmArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:infra:Vm', name, {}, opts);
    const child = childOptions(this, opts);

    // A dedicated identity, never the default compute account (which holds Editor on the project).
    this.serviceAccount = new gcp.serviceaccount.Account(
      `${name}-sa`,
      {
        project: args.project,
        accountId: args.accountId,
        displayName: 'modelship VM',
        description: 'Runs the modelship VM: pulls its images, writes logs and metrics',
      },
      child,
    );
    const member = pulumi.interpolate`serviceAccount:${this.serviceAccount.email}`;
    const grants: pulumi.Resource[] = VM_PROJECT_ROLES.map(
      (role) =>
        new gcp.projects.IAMMember(
          `${name}-${role.split('.').pop()?.toLowerCase()}`,
          { project: args.project, role, member },
          child,
        ),
    );
    grants.push(
      new gcp.artifactregistry.RepositoryIamMember(
        `${name}-registry-reader`,
        {
          project: args.project,
          location: args.repository.location,
          repository: args.repository.name,
          role: VM_REPOSITORY_ROLE,
          member,
        },
        child,
      ),
    );
    for (const [i, secretId] of (args.secrets ?? []).entries()) {
      grants.push(
        secretAccessor(`${name}-secret-reader-${i}`, { project: args.project, secretId, member }, child),
      );
    }

    const accelerators = acceleratorsFor(args.machineType, args.gpu);
    this.instance = new gcp.compute.Instance(
      `${name}-instance`,
      {
        project: args.project,
        zone: args.zone,
        machineType: args.machineType,
        description: 'modelship: the API and UI behind Caddy (HTTPS), run by docker compose',
        tags: [args.tag],
        labels: args.labels,
        bootDisk: {
          autoDelete: true,
          initializeParams: {
            image: args.vmImage,
            size: args.bootDiskGb,
            type: 'pd-balanced',
            labels: args.labels,
          },
        },
        networkInterfaces: [
          {
            subnetwork: args.subnetwork,
            accessConfigs: [{ natIp: args.ip, networkTier: 'PREMIUM' }],
          },
        ],
        serviceAccount: { email: this.serviceAccount.email, scopes: ['cloud-platform'] },
        scheduling: schedulingFor({ gpu: args.gpu !== undefined, spot: args.spot }),
        ...(accelerators.length > 0 && { guestAccelerators: accelerators }),
        shieldedInstanceConfig: shieldedConfigFor(args.vmImage),
        metadata: args.metadata,
        // Machine type, service account or scheduling changes need a stopped VM; allow Pulumi to stop it.
        allowStoppingForUpdate: true,
        deletionProtection: false,
      },
      childOptions(this, opts, {
        // The VM pulls on its first boot: its account must be able to read the registry by then.
        dependsOn: grants,
        // Some settings replace the VM (spot, vmImage, the GPU, g2 <-> n1, the zone). Pulumi would create the
        // new VM first, asking for the static IP the old one still holds, which GCE refuses ("already in
        // use"): delete the old VM first. Its boot disk goes with it; the IP (and so the URL) stays.
        deleteBeforeReplace: true,
      }),
    );
    this.instanceName = this.instance.name;
    this.instanceId = this.instance.instanceId;

    this.registerOutputs({
      instanceName: this.instanceName,
      serviceAccount: this.serviceAccount.email,
    });
  }
}
