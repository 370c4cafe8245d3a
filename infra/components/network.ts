// The VM's network: a dedicated VPC (so the default network's broad rules, such as SSH from anywhere, do
// not apply), a static external IP, and firewall rules on the VM's tag: web from anywhere, SSH only from
// the given ranges (Cloud IAP by default), nothing else. GCE denies all other ingress implicitly.
import { createHash } from 'node:crypto';
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

/**
 * The subnet's range, one /24 per region inside 10.128.0.0/9. Moving the stack to another region replaces
 * the subnet, and Pulumi creates the new one before it deletes the old one, in the same VPC, where GCE
 * refuses overlapping ranges: so the two regions' ranges must differ. (A test checks every GCP region.)
 */
export function subnetRange(region: string): string {
  const slot = createHash('sha256').update(`modelship-subnet:${region}`).digest().readUInt16BE(0) & 0x7fff;
  return `10.${128 + (slot >> 8)}.${slot & 0xff}.0/24`;
}

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
        ipCidrRange: subnetRange(args.region),
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
        description: 'HTTP (ACME challenges, redirect), HTTPS and HTTP/3 (QUIC) to Caddy on the modelship VM',
        // Caddy serves HTTP/3 on udp/443 (docker-compose.caddy.yml publishes it) and advertises it with
        // Alt-Svc: without the UDP rule browsers would try QUIC, time out and fall back.
        allows: [
          { protocol: 'tcp', ports: ['80', '443'] },
          { protocol: 'udp', ports: ['443'] },
        ],
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
