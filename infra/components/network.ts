// The VM's network: a dedicated VPC (so the default network's broad rules, such as SSH from anywhere, do
// not apply), a static external IP, and firewall rules on the VM's tag: web from anywhere, SSH only from
// the given ranges (Cloud IAP by default), nothing else. GCE denies all other ingress implicitly.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { childOptions } from './options.js';

export interface NetworkArgs {
  project: string;
  region: string;
  /** The network tag the firewall rules target; the VM carries it. */
  tag: string;
  sshSourceRanges: string[];
  labels: Record<string, string>;
}

export const SUBNET_RANGE = '10.128.0.0/24';

export class Network extends pulumi.ComponentResource {
  readonly network: gcp.compute.Network;
  readonly subnetwork: gcp.compute.Subnetwork;
  readonly address: gcp.compute.Address;
  /** The static external IPv4 address. */
  readonly ip: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:infra:Network', name, {}, opts);
    const child = childOptions(this, opts);

    this.network = new gcp.compute.Network(
      `${name}-vpc`,
      { project: args.project, autoCreateSubnetworks: false, description: 'modelship VM network' },
      child,
    );
    this.subnetwork = new gcp.compute.Subnetwork(
      `${name}-subnet`,
      {
        project: args.project,
        region: args.region,
        network: this.network.id,
        ipCidrRange: SUBNET_RANGE,
        privateIpGoogleAccess: true,
      },
      child,
    );
    this.address = new gcp.compute.Address(
      `${name}-ip`,
      {
        project: args.project,
        region: args.region,
        addressType: 'EXTERNAL',
        networkTier: 'PREMIUM',
        description: 'modelship public IP (the URL points here)',
        labels: args.labels,
      },
      child,
    );
    this.ip = this.address.address;

    new gcp.compute.Firewall(
      `${name}-web`,
      {
        project: args.project,
        network: this.network.id,
        direction: 'INGRESS',
        description: 'HTTP (ACME challenges, redirect) and HTTPS to Caddy on the modelship VM',
        allows: [{ protocol: 'tcp', ports: ['80', '443'] }],
        sourceRanges: ['0.0.0.0/0'],
        targetTags: [args.tag],
      },
      child,
    );
    new gcp.compute.Firewall(
      `${name}-ssh`,
      {
        project: args.project,
        network: this.network.id,
        direction: 'INGRESS',
        description: 'SSH to the modelship VM, only from the allowed ranges (Cloud IAP by default)',
        allows: [{ protocol: 'tcp', ports: ['22'] }],
        sourceRanges: args.sshSourceRanges,
        targetTags: [args.tag],
      },
      child,
    );

    this.registerOutputs({ network: this.network.id, ip: this.ip });
  }
}
