// A custom domain for a Cloud Run service: a global external Application Load Balancer whose backend is a
// serverless NEG pointing at the service, with a Google-managed certificate for the domain, and port 80
// redirecting to HTTPS. The certificate turns ACTIVE only once the domain's A record points at `ip`
// (minutes to an hour); until then the run.app URL keeps working.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { childOptions } from './options.js';

export interface ServerlessLoadBalancerArgs {
  project: string;
  region: string;
  /** The Cloud Run service the domain serves (its name, in `region`). */
  service: pulumi.Input<string>;
  /** Hostname, e.g. app.example.com. */
  domain: string;
  labels: Record<string, string>;
}

export class ServerlessLoadBalancer extends pulumi.ComponentResource {
  readonly address: gcp.compute.GlobalAddress;
  /** The IPv4 address the domain's A record must point at. */
  readonly ip: pulumi.Output<string>;
  readonly certificate: gcp.compute.ManagedSslCertificate;

  constructor(name: string, args: ServerlessLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:infra:ServerlessLoadBalancer', name, {}, opts);
    const child = childOptions(this, opts);
    const project = args.project;

    this.address = new gcp.compute.GlobalAddress(
      `${name}-ip`,
      { project, addressType: 'EXTERNAL', ipVersion: 'IPV4', labels: args.labels, description: args.domain },
      child,
    );
    this.ip = this.address.address;

    const neg = new gcp.compute.RegionNetworkEndpointGroup(
      `${name}-neg`,
      {
        project,
        region: args.region,
        networkEndpointType: 'SERVERLESS',
        cloudRun: { service: args.service },
      },
      child,
    );
    // Serverless NEG backends take no health check and no timeout (Cloud Run's own settings apply), and the
    // default protocol, as in Google's own setup guide.
    const backend = new gcp.compute.BackendService(
      `${name}-backend`,
      {
        project,
        loadBalancingScheme: 'EXTERNAL_MANAGED',
        backends: [{ group: neg.id }],
      },
      child,
    );
    const urlMap = new gcp.compute.URLMap(`${name}-urls`, { project, defaultService: backend.id }, child);
    this.certificate = new gcp.compute.ManagedSslCertificate(
      `${name}-cert`,
      { project, managed: { domains: [args.domain] } },
      child,
    );
    const httpsProxy = new gcp.compute.TargetHttpsProxy(
      `${name}-https`,
      { project, urlMap: urlMap.id, sslCertificates: [this.certificate.id] },
      child,
    );
    new gcp.compute.GlobalForwardingRule(
      `${name}-https-rule`,
      {
        project,
        target: httpsProxy.id,
        ipAddress: this.address.address,
        portRange: '443',
        ipProtocol: 'TCP',
        loadBalancingScheme: 'EXTERNAL_MANAGED',
        labels: args.labels,
      },
      child,
    );

    const redirect = new gcp.compute.URLMap(
      `${name}-redirect`,
      {
        project,
        defaultUrlRedirect: {
          httpsRedirect: true,
          stripQuery: false,
          redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT',
        },
      },
      child,
    );
    const httpProxy = new gcp.compute.TargetHttpProxy(
      `${name}-http`,
      { project, urlMap: redirect.id },
      child,
    );
    new gcp.compute.GlobalForwardingRule(
      `${name}-http-rule`,
      {
        project,
        target: httpProxy.id,
        ipAddress: this.address.address,
        portRange: '80',
        ipProtocol: 'TCP',
        loadBalancingScheme: 'EXTERNAL_MANAGED',
        labels: args.labels,
      },
      child,
    );

    this.registerOutputs({ ip: this.ip });
  }
}
