// DNS for a custom domain: an A record in an existing Cloud DNS managed zone, pointing at the static IP.
// Without a domain the URL uses the IP's sslip.io (or nip.io) name instead (see siteHostname), and no DNS is
// touched.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { IP_HOST_SUFFIXES } from '../config.js';
import { childOptions } from './options.js';

type IpHostSuffix = (typeof IP_HOST_SUFFIXES)[number];

export interface DnsArgs {
  project: string;
  /** Name of the existing managed zone (not its DNS name). */
  zone: string;
  /** Hostname, e.g. app.example.com; must lie inside the zone. */
  hostname: string;
  ip: pulumi.Input<string>;
}

/** `34.1.2.3` -> `34-1-2-3.sslip.io`, a public name that resolves to the IP, so Caddy can get a certificate.
 * `suffix`: sslip.io or nip.io, two services that answer such names (one Let's Encrypt quota each). */
export function sslipHostname(ip: string, suffix: IpHostSuffix = 'sslip.io'): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw new Error(`not an IPv4 address: "${ip}"`);
  return `${ip.replaceAll('.', '-')}.${suffix}`;
}

/** The public hostname: the configured domain, or the static IP's sslip.io (nip.io) name. */
export function siteHostname(domain: string | undefined, ip: string, suffix?: IpHostSuffix): string {
  return domain ?? sslipHostname(ip, suffix);
}

/** Fails with a clear message when the hostname is not inside the zone's DNS name (`example.com.`). */
export function recordName(hostname: string, zoneDnsName: string, zone: string): string {
  const fqdn = `${hostname}.`;
  if (fqdn !== zoneDnsName && !fqdn.endsWith(`.${zoneDnsName}`)) {
    throw new Error(
      `domain ${hostname} is not inside the Cloud DNS zone ${zone} (${zoneDnsName}); set domain to a name under ${zoneDnsName.replace(/\.$/, '')} or pick the matching dnsZone`,
    );
  }
  return fqdn;
}

export class Dns extends pulumi.ComponentResource {
  readonly record: gcp.dns.RecordSet;
  readonly fqdn: pulumi.Output<string>;

  constructor(name: string, args: DnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:infra:Dns', name, {}, opts);
    const zone = gcp.dns.getManagedZoneOutput({ name: args.zone, project: args.project }, { parent: this });
    this.fqdn = zone.dnsName.apply((dnsName) => recordName(args.hostname, dnsName, args.zone));
    this.record = new gcp.dns.RecordSet(
      `${name}-a`,
      {
        project: args.project,
        managedZone: args.zone,
        name: this.fqdn,
        type: 'A',
        ttl: 300,
        rrdatas: [args.ip],
      },
      childOptions(this, opts),
    );
    this.registerOutputs({ fqdn: this.fqdn });
  }
}
