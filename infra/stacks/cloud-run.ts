// The shape that outgrows one VM: the same two images on Cloud Run, scaling from zero to maxInstances. The
// API (an L4 or CPU only) is private; the UI is public and proxies /api to it with ID tokens of its own
// service account, the API's only invoker. A custom domain gets a global load balancer with a managed
// certificate; basic auth is checked by the UI server, the credentials mounted from Secret Manager.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { defaultQueueSize } from '../../app/api/src/config.js';
import { DEFAULT_PROXY } from '../../app/ui/server/config.js';
import { Dns } from '../components/dns.js';
import { Readiness } from '../components/readiness.js';
import { type ProbeSpec, RunService } from '../components/run-service.js';
import { Secret } from '../components/secret.js';
import { ServerlessLoadBalancer } from '../components/serverless-lb.js';
import type { CloudRunConfig } from '../config.js';
import { DOCKERFILE, imageHealth } from '../image-health.js';
import { cloudRunCostEstimate, UI_SERVICE } from '../pricing.js';
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

/** APIs the shape uses; left enabled on destroy (other things in the project may rely on them). */
export const CLOUD_RUN_SERVICES = [
  'run.googleapis.com',
  // the dashboard, the uptime check and the alerts (infra/stacks/operate.ts)
  'monitoring.googleapis.com',
  'artifactregistry.googleapis.com',
  'iam.googleapis.com',
  'secretmanager.googleapis.com',
  // The load balancer of a custom domain, and its DNS record.
  'compute.googleapis.com',
  'dns.googleapis.com',
] as const;

const API_HEALTH = imageHealth(DOCKERFILE, 'api');
const UI_HEALTH = imageHealth(DOCKERFILE, 'ui');
/**
 * The probes come from the images' own health check (its path and timings). The API must be ready (models
 * loaded and warmed up) within `window` seconds of its container starting; once up, liveness asks /health,
 * which answers as long as the process runs (app/api/src/routes/health.ts), so that Cloud Run never kills an
 * instance for being busy or draining.
 */
export const API_PROBES: ProbeSpec = {
  startupPath: API_HEALTH.path,
  livenessPath: '/health',
  window: 180,
  check: API_HEALTH,
};
export const UI_PROBES: ProbeSpec = {
  startupPath: UI_HEALTH.path,
  livenessPath: UI_HEALTH.path,
  window: 30,
  check: UI_HEALTH,
};
/** Ports the images listen on by default; Cloud Run passes the same value in $PORT. */
export const API_PORT = 8000;
export const UI_PORT = 8501;
/** Cloud Run sends SIGKILL 10 s after SIGTERM; the API stops waiting for requests in flight before that. */
export const API_SHUTDOWN_SECONDS = 8;

/**
 * Requests one API instance takes at once: its inference workers plus its queue. Cloud Run then never sends
 * an instance more than the API would accept (no 503 queue_full); the rest wait in Cloud Run's queue while it
 * starts more instances.
 */
export function apiConcurrency(workers: number): number {
  return workers + defaultQueueSize(workers);
}

/** `url` is the UI's https://...run.app URL; the custom domain, if any, is `domainUrl`. */
export interface CloudRunOutputs extends ShapeOutputs {
  /** https://<domain> once its certificate is active, and the IP its A record must point at. */
  domainUrl?: string;
  domainIp?: pulumi.Output<string>;
  region: string;
  apiService: pulumi.Output<string>;
  uiService: pulumi.Output<string>;
  logsCommand: pulumi.Output<string>;
}

export type CloudRunArgs = ShapeArgs<CloudRunConfig>;

export class CloudRun extends Shape<CloudRunConfig, CloudRunOutputs> {
  constructor(name: string, args: CloudRunArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:stacks:CloudRun', name, args, deploy, opts);
  }
}

function deploy(shape: pulumi.Resource, config: CloudRunConfig, ctx: StackContext): CloudRunOutputs {
  const { name, stackSlug, labels, accountId, services, afterServices, images } = shapeBase(
    shape,
    ctx,
    config,
    CLOUD_RUN_SERVICES,
  );
  const { project, region } = config;
  const { packageVersion } = ctx;

  // Dedicated identities, never the default compute account (which holds Editor on the project). Neither needs
  // a project role: Cloud Run's service agent pulls the images, and Cloud Run collects the logs.
  const account = (role: 'api' | 'ui', description: string) =>
    new gcp.serviceaccount.Account(
      `${name}-${role}-sa`,
      {
        project,
        accountId: accountId(role),
        displayName: `modelship ${role}`,
        description,
      },
      afterServices,
    );
  const apiAccount = account('api', 'Runs the modelship API on Cloud Run');
  const uiAccount = account('ui', 'Runs the modelship UI on Cloud Run; the only caller of the API');
  const uiMember = pulumi.interpolate`serviceAccount:${uiAccount.email}`;

  const workers = config.apiWorkers ?? config.cpu;
  const concurrency = apiConcurrency(workers);
  const settings = { ...config, basicAuth: undefined, workers, concurrency };
  const version = pulumi
    .all([images.apiImage, images.uiImage])
    .apply((parts) => deployVersion(packageVersion, [...parts, settings]));

  const api = new RunService(
    `${name}-api`,
    {
      project,
      region,
      serviceName: `modelship-${stackSlug}-api`,
      description: 'modelship inference API (private: only the UI service account may invoke it)',
      serviceAccountEmail: apiAccount.email,
      image: images.apiImage,
      port: API_PORT,
      cpu: config.cpu,
      memoryGib: config.memoryGib,
      ...(config.gpu && { gpu: { zonalRedundancy: config.gpuZonalRedundancy } }),
      billing: config.gpu ? 'instance' : 'request',
      minInstances: config.minInstances,
      maxInstances: config.maxInstances,
      concurrency,
      timeoutSeconds: DEFAULT_PROXY.timeoutMs / 1000,
      probes: API_PROBES,
      env: {
        WORKERS: String(workers),
        QUEUE_SIZE: String(defaultQueueSize(workers)),
        SHUTDOWN_TIMEOUT: String(API_SHUTDOWN_SECONDS),
        APP_VERSION: version,
        // trace links in the request log lines (app/api/src/logger.ts)
        GOOGLE_CLOUD_PROJECT: project,
        // Private: only the UI's proxy invokes it, and that sets X-Forwarded-For itself.
        TRUST_PROXY: 'true',
      },
      public: false,
      labels: { ...labels, gpu: config.gpu?.type ?? 'none' },
    },
    afterServices,
  );
  const invoker = new gcp.cloudrunv2.ServiceIamMember(
    `${name}-api-invoker`,
    { project, location: region, name: api.name, role: 'roles/run.invoker', member: uiMember },
    shapeChild(shape, services),
  );

  const secret = config.basicAuth
    ? new Secret(
        `${name}-basic-auth`,
        {
          project,
          secretId: `modelship-${stackSlug}-basic-auth`,
          value: pulumi.secret(`${config.basicAuth.user}:${config.basicAuth.password}`),
          accessors: [uiMember],
          labels,
        },
        afterServices,
      )
    : undefined;

  const ui = new RunService(
    `${name}-ui`,
    {
      project,
      region,
      serviceName: `modelship-${stackSlug}-ui`,
      description: 'modelship web UI; proxies /api to the private API with ID tokens',
      serviceAccountEmail: uiAccount.email,
      image: images.uiImage,
      port: UI_PORT,
      cpu: UI_SERVICE.cpu,
      memoryGib: UI_SERVICE.memoryGib,
      billing: 'request',
      minInstances: 0,
      maxInstances: config.maxInstances,
      // A proxy: waiting on the API costs it nothing, so one instance takes Cloud Run's default of 80.
      concurrency: 80,
      // Longer than the proxy's own timeout, so a slow API gets the UI's 504 with a reason, not Cloud Run's.
      timeoutSeconds: DEFAULT_PROXY.timeoutMs / 1000 + 30,
      probes: UI_PROBES,
      env: { API_URL: api.url, API_ID_TOKEN_AUDIENCE: api.url },
      ...(secret && { secretEnv: { BASIC_AUTH: { secret: secret.secretId, version: secret.version } } }),
      public: true,
      labels,
    },
    // The revision must be able to read its secret when it starts, and call the API when it serves.
    shapeChild(shape, [...services, invoker, ...(secret ? secret.grants : [])]),
  );

  const lb = config.domain
    ? new ServerlessLoadBalancer(
        `${name}-lb`,
        { project, region, service: ui.name, domain: config.domain, labels },
        afterServices,
      )
    : undefined;
  if (lb && config.domain && config.dnsZone) {
    new Dns(
      `${name}-dns`,
      { project, zone: config.dnsZone, hostname: config.domain, ip: lb.ip },
      afterServices,
    );
  }

  const logsCommand = pulumi.interpolate`gcloud run services logs read ${api.name} --region ${region} --project ${project}`;
  new Readiness(
    `${name}-ready`,
    {
      url: ui.url,
      version,
      timeoutMinutes: config.readinessTimeoutMinutes,
      ...(config.basicAuth && {
        basicAuth: pulumi.secret(`${config.basicAuth.user}:${config.basicAuth.password}`),
      }),
      hint: pulumi.interpolate`Read the API's log with: ${logsCommand}`,
      triggers: [images.apiImage, images.uiImage, version],
      repoRoot: ctx.repoRoot,
    },
    shapeChild(shape, [api.service, ui.service, invoker]),
  );

  const operations = deployOperations(
    config,
    {
      shape: 'cloud-run',
      stackSlug,
      url: config.domain && lb ? `https://${config.domain}` : ui.url,
      logsQuery: pulumi.interpolate`resource.type="cloud_run_revision" AND resource.labels.service_name=("${api.name}" OR "${ui.name}")`,
      downHint: pulumi.interpolate`Cloud Run starts instances on demand, so a stop is not the cause; read the API's log: ${logsCommand}`,
      labels,
      cloudRunService: api.name,
    },
    afterServices,
  );

  return {
    ...operations,
    url: ui.url,
    apiDocsUrl: pulumi.interpolate`${ui.url}/api/docs`,
    ...(lb && config.domain && { domainUrl: `https://${config.domain}`, domainIp: lb.ip }),
    region,
    apiService: api.name,
    uiService: ui.name,
    logsCommand,
    apiImage: images.apiImage,
    uiImage: images.uiImage,
    hourlyCostEstimate: cloudRunCostEstimate(config).summary,
  };
}
