// The hands-on shape: one VM behind a static IP, running the API and the UI with docker compose and Caddy
// (HTTPS), its images in Artifact Registry. This is what the students did by hand, as one `pulumi up`.
import * as pulumi from '@pulumi/pulumi';
import { Dns, siteHostname } from '../components/dns.js';
import { Network } from '../components/network.js';
import { Readiness } from '../components/readiness.js';
import { Secret } from '../components/secret.js';
import { Vm } from '../components/vm.js';
import type { SingleVmConfig } from '../config.js';
import { hourlyCostEstimate } from '../pricing.js';
import { nudgeCommand } from '../readiness/nudge.js';
import { renderStartupScript, renderVmMetadata } from '../vm/metadata.js';
import {
  deployVersion,
  Shape,
  type ShapeArgs,
  type ShapeOutputs,
  type StackContext,
  shapeBase,
  shapeChild,
} from './context.js';
import { deployOperations } from './operate.js';

/** APIs the deployment uses. Left enabled on destroy: other things in the project may rely on them. */
export const REQUIRED_SERVICES = [
  'compute.googleapis.com',
  'artifactregistry.googleapis.com',
  'dns.googleapis.com',
  'iam.googleapis.com',
  // Read and write the project's IAM policy (the VM account's log and metric writer roles).
  'cloudresourcemanager.googleapis.com',
  // Cloud IAP's TCP forwarding, behind `gcloud compute ssh --tunnel-through-iap`.
  'iap.googleapis.com',
  // The basic-auth password, read by the VM (only when basicAuth is set, but enabling it costs nothing).
  'secretmanager.googleapis.com',
  // The Ops Agent's logs and metrics, the dashboard, the uptime check and the alerts.
  'logging.googleapis.com',
  'monitoring.googleapis.com',
] as const;

export interface SingleVmOutputs extends ShapeOutputs {
  instanceName: pulumi.Output<string>;
  zone: string;
  ip: pulumi.Output<string>;
  sshCommand: pulumi.Output<string>;
  /** The `gcloud logging read` line for the containers' logs. */
  logsCommand: pulumi.Output<string>;
  /** Starts the VM again after an idle auto-stop (or any stop). */
  startCommand: pulumi.Output<string>;
  /** The idle auto-stop setting in words, with the way back. */
  idleStop: pulumi.Output<string> | string;
}

export type SingleVmArgs = ShapeArgs<SingleVmConfig>;

export class SingleVm extends Shape<SingleVmConfig, SingleVmOutputs> {
  constructor(name: string, args: SingleVmArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:stacks:SingleVm', name, args, deploy, opts);
  }
}

function deploy(shape: pulumi.Resource, config: SingleVmConfig, ctx: StackContext): SingleVmOutputs {
  const { name, stackSlug, labels, accountId, afterServices, images } = shapeBase(
    shape,
    ctx,
    config,
    REQUIRED_SERVICES,
  );
  const tag = `modelship-${stackSlug}`;
  const { packageVersion } = ctx;

  const network = new Network(
    `${name}-net`,
    { project: config.project, region: config.region, tag, sshSourceRanges: config.sshSourceRanges, labels },
    afterServices,
  );

  const hostname = network.ip.apply((ip) => siteHostname(config.domain, ip, config.ipHostSuffix));
  const dns =
    config.domain && config.dnsZone
      ? new Dns(
          `${name}-dns`,
          { project: config.project, zone: config.dnsZone, hostname: config.domain, ip: network.ip },
          afterServices,
        )
      : undefined;

  const basicAuth = config.basicAuth;
  const basicAuthSecret = basicAuth
    ? new Secret(
        `${name}-basic-auth`,
        // The VM's account is granted by the Vm component, which makes it. The Caddy user name is not secret
        // (it goes into the metadata): the secret holds the password alone.
        { project: config.project, value: pulumi.secret(basicAuth.password), labels },
        // (this component was called BasicAuthSecret: the alias keeps it and its children in place)
        {
          ...afterServices,
          aliases: [...(afterServices.aliases ?? []), { type: 'modelship:infra:BasicAuthSecret' }],
        },
      )
    : undefined;
  const api = {
    replicas: config.apiReplicas,
    ...(config.apiWorkers !== undefined && { workers: config.apiWorkers }),
    ...(config.apiMemoryMiB !== undefined && { memoryMiB: config.apiMemoryMiB }),
  };
  const gpu = config.gpu !== undefined;
  const version = pulumi
    .all([images.apiImage, images.uiImage, hostname])
    .apply((parts) => deployVersion(packageVersion, [...parts, api, gpu]));
  const metadata = pulumi
    .all([images.apiImage, images.uiImage, hostname, version, basicAuthSecret?.versionName])
    .apply(([apiImage, uiImage, siteAddress, appVersion, secretVersion]) => ({
      ...renderVmMetadata({
        apiImage,
        uiImage,
        registryHost: images.registryHost,
        siteAddress,
        gpu,
        // an empty version (it never is) fails the render instead of deploying without auth
        ...(basicAuth && { basicAuth: { user: basicAuth.user, secretVersion: secretVersion ?? '' } }),
        api,
        version: appVersion,
        project: config.project,
        ...(config.idleStopMinutes && { idleStopMinutes: config.idleStopMinutes }),
      }),
      // SSH (through IAP) with the user's Google identity and IAM roles, not project-wide keys.
      'enable-oslogin': 'TRUE',
    }));

  const vm = new Vm(
    `${name}-vm`,
    {
      project: config.project,
      zone: config.zone,
      repository: { location: images.repository.location, name: images.repository.name },
      accountId: accountId('vm'),
      machineType: config.machineType,
      ...(config.gpu && { gpu: config.gpu }),
      spot: config.spot,
      bootDiskGb: config.bootDiskGb,
      vmImage: config.vmImage,
      tag,
      subnetwork: network.subnetwork.id,
      ip: network.ip,
      metadata,
      labels: { ...labels, gpu: config.gpu?.type ?? 'none' },
      ...(basicAuthSecret && { secrets: [basicAuthSecret.secret.id] }),
    },
    afterServices,
  );

  const url = pulumi.interpolate`https://${hostname}`;
  const startCommand = pulumi.interpolate`gcloud compute instances start ${vm.instanceName} --zone ${config.zone} --project ${config.project}`;
  const nudge = vm.instanceName.apply((instance) =>
    nudgeCommand({ instance, zone: config.zone, project: config.project }),
  );
  const sshCommand = pulumi.interpolate`gcloud compute ssh ${vm.instanceName} --zone ${config.zone} --project ${config.project} --tunnel-through-iap`;

  new Readiness(
    `${name}-ready`,
    {
      url,
      version,
      timeoutMinutes: config.readinessTimeoutMinutes,
      ...(basicAuth && { basicAuth: pulumi.secret(`${basicAuth.user}:${basicAuth.password}`) }),
      // The VM's watcher retries a failed deploy with backoff by itself, and the wait nudges it; these are
      // the ways to look and to retry by hand (README: "When something goes wrong").
      hint: pulumi.interpolate`The VM keeps retrying by itself. Its log: ${sshCommand} -- sudo journalctl -u google-startup-scripts -u modelship-watcher -e. Retry now: ${nudge}, or: ${sshCommand} -- sudo systemctl restart modelship-watcher. Still stuck: gcloud compute instances reset ${vm.instanceName} --zone ${config.zone} --project ${config.project}, then pulumi up again.`,
      nudge: { instance: vm.instanceName, zone: config.zone, project: config.project },
      // a replaced VM (new instance ID) boots from scratch: wait for it too
      triggers: [images.apiImage, images.uiImage, renderStartupScript(), vm.instanceId],
      repoRoot: ctx.repoRoot,
      // a VM stopped by the idle auto-stop (or by hand) gets the new metadata and applies it when started
      vmStatus: vm.instance.currentStatus,
      stoppedHint: pulumi.interpolate`It deploys this version when started: ${startCommand}`,
    },
    // Poll only once the instance (with its new metadata) and the DNS record are in place.
    shapeChild(shape, [vm.instance, ...(dns ? [dns.record] : [])]),
  );

  // The Ops Agent names the log after its receiver (infra/vm/ops-agent.ts).
  const logsQuery = pulumi.interpolate`resource.type="gce_instance" AND resource.labels.instance_id="${vm.instance.instanceId}" AND log_id("modelship_containers")`;
  const idleHint = config.idleStopMinutes
    ? `the VM stops itself after ${config.idleStopMinutes} min without a prediction request (idleStopMinutes);`
    : 'the VM may be stopped (spot preemption, or by hand);';
  const operations = deployOperations(
    config,
    {
      shape: 'single-vm',
      stackSlug,
      url,
      logsQuery,
      downHint: pulumi.interpolate`If ${idleHint} start it again with: ${startCommand}`,
      labels,
    },
    afterServices,
  );

  return {
    url,
    apiDocsUrl: pulumi.interpolate`${url}/api/docs`,
    instanceName: vm.instanceName,
    zone: config.zone,
    ip: network.ip,
    sshCommand,
    apiImage: images.apiImage,
    uiImage: images.uiImage,
    hourlyCostEstimate: hourlyCostEstimate(config).summary,
    ...operations,
    logsCommand: pulumi.interpolate`gcloud logging read '${logsQuery}' --project ${config.project} --freshness 1h --limit 50`,
    startCommand,
    idleStop: config.idleStopMinutes
      ? pulumi.interpolate`stops after ${config.idleStopMinutes} min without a prediction; the URL then fails until: ${startCommand}`
      : 'off (set idleStopMinutes, e.g. 120, to stop the VM when nobody uses it)',
  };
}
