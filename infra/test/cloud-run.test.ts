// The cloud-run shape under mocks: an L4 API, a CPU-only API, a custom domain behind a load balancer, and basic
// auth from Secret Manager. Each configuration is deployed once; the tests read what it registered.
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { type CloudRunConfig, parseConfig, type RawConfig } from '../config.js';
import { cloudRunCostEstimate } from '../pricing.js';
import { API_PROBES, CLOUD_RUN_SERVICES } from '../stacks/cloud-run.js';
import {
  deployShape,
  type Inputs,
  installMocks,
  MOCK_LB_IP,
  memoize,
  outputValue,
  type Recorded,
  runAppUrl,
  settle,
} from './mocks.js';

const GPU: RawConfig = { 'gcp:project': 'student-proj-1', 'gcp:region': 'us-central1', shape: 'cloud-run' };
const CPU: RawConfig = {
  ...GPU,
  'gcp:region': 'us-west1',
  gpu: 'none',
  cloudRunCpu: '2',
  cloudRunMemoryGib: '4',
  apiWorkers: '2',
  minInstances: '1',
  maxInstances: '5',
};
const DOMAIN: RawConfig = { ...GPU, domain: 'ocr.example.com', dnsZone: 'example-zone' };
const AUTH: RawConfig = { ...GPU, basicAuth: 'student:correct horse battery' };

const API_URL = runAppUrl('modelship-dev-api');
const UI_URL = runAppUrl('modelship-dev-ui');

const deploy = memoize((raw: RawConfig) => deployFresh(raw));

async function deployFresh(raw: RawConfig) {
  const d = await deployShape('cloud-run', raw);
  const { ofType } = d;
  const service = (role: 'api' | 'ui'): Recorded => {
    const found = ofType('gcp:cloudrunv2/service:Service').find(
      (r) => r.inputs.name === `modelship-dev-${role}`,
    );
    if (!found) throw new Error(`no ${role} service`);
    return found;
  };
  const container = (role: 'api' | 'ui'): Inputs => service(role).inputs.template.containers[0];
  const env = (role: 'api' | 'ui'): Record<string, Inputs> =>
    Object.fromEntries(container(role).envs.map((e: Inputs) => [e.name, e.value ?? e.valueSource]));
  return { ...d, service, container, env };
}

const saEmail = (role: string) => `ms-dev-${role}@student-proj-1.iam.gserviceaccount.com`;

describe('cloud-run with an L4 (the default)', () => {
  it('enables the APIs it uses and leaves them enabled on destroy', async () => {
    const d = await deploy(GPU);
    const services = d.ofType('gcp:projects/service:Service').map((r) => r.inputs);
    expect(services.map((s) => s.service).sort()).toEqual([...CLOUD_RUN_SERVICES].sort());
    for (const s of services) expect(s.disableOnDestroy).toBe(false);
  });

  it('builds the API with its CUDA target and runs the pushed digest', async () => {
    const d = await deploy(GPU);
    const api = d.ofType('docker:index/image:Image').find((r) => r.inputs.imageName.includes('/api:'));
    expect(api?.inputs.build.target).toBe('api-gpu');
    expect(d.outputs.apiImage).toMatch(
      /^us-central1-docker\.pkg\.dev\/student-proj-1\/modelship-dev\/api@sha256:/,
    );
    expect(d.container('api').image).toBe(d.outputs.apiImage);
    expect(d.container('ui').image).toBe(d.outputs.uiImage);
  });

  it('puts the API on an L4 node with >= 4 vCPU and 16 GiB, instance-based billing, gen2, no zonal redundancy', async () => {
    const d = await deploy(GPU);
    const template = d.service('api').inputs.template;
    expect(template.nodeSelector).toEqual({ accelerator: 'nvidia-l4' });
    expect(template.gpuZonalRedundancyDisabled).toBe(true);
    expect(template.executionEnvironment).toBe('EXECUTION_ENVIRONMENT_GEN2');
    expect(d.container('api').resources).toEqual({
      limits: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' },
      cpuIdle: false, // CPU always allocated: instance-based billing, which a GPU service requires
      startupCpuBoost: true,
    });
    const zonal = await deployFresh({
      ...GPU,
      gpuZonalRedundancy: 'true',
      cloudRunCpu: '8',
      cloudRunMemoryGib: '32',
    });
    expect(zonal.service('api').inputs.template.gpuZonalRedundancyDisabled).toBe(false);
    expect(zonal.container('api').resources.limits).toEqual({
      cpu: '8',
      memory: '32Gi',
      'nvidia.com/gpu': '1',
    });
  });

  it('scales from 0 to maxInstances, taking as many requests at once as the API has workers plus queue', async () => {
    const d = await deploy(GPU);
    const template = d.service('api').inputs.template;
    expect(template.scaling).toEqual({ minInstanceCount: 0, maxInstanceCount: 3 });
    // 4 workers (one per vCPU) and the API's default queue of 4 per worker.
    expect(template.maxInstanceRequestConcurrency).toBe(20);
    expect(d.env('api')).toMatchObject({ WORKERS: '4', QUEUE_SIZE: '16', SHUTDOWN_TIMEOUT: '8' });
    // private, invoked only by the UI's proxy: its X-Forwarded-For is believed in the request log
    expect(d.env('api').TRUST_PROXY).toBe('true');
    expect(d.env('api').APP_VERSION).toMatch(/^1\.2\.3\+[0-9a-f]{12}$/);
    // Cloud Run sets PORT itself and refuses a service that sets it.
    expect(d.env('api')).not.toHaveProperty('PORT');
    expect(d.container('api').ports).toEqual({ containerPort: 8000 });
    expect(template.timeout).toBe('120s');
  });

  it('probes /ready at start-up (within the window) and /health for liveness, within Cloud Run limits', async () => {
    const d = await deploy(GPU);
    const { startupProbe, livenessProbe } = d.container('api');
    expect(startupProbe.httpGet).toEqual({ path: '/ready' });
    expect(livenessProbe.httpGet).toEqual({ path: '/health' });
    // the image's HEALTHCHECK timings (Dockerfile: --interval=10s --timeout=5s --retries=3)
    expect(livenessProbe).toMatchObject({ periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
    expect(startupProbe.periodSeconds * startupProbe.failureThreshold).toBeGreaterThanOrEqual(
      API_PROBES.window,
    );
    for (const probe of [startupProbe, livenessProbe]) {
      expect(probe.periodSeconds).toBeLessThanOrEqual(240);
      expect(probe.timeoutSeconds).toBeLessThan(probe.periodSeconds);
    }
    expect(d.container('ui').startupProbe.httpGet).toEqual({ path: '/healthz' });
  });

  it('keeps the API private: the UI service account is its only invoker, and the UI calls it with ID tokens', async () => {
    const d = await deploy(GPU);
    const api = d.service('api').inputs;
    expect(api.invokerIamDisabled).toBe(false);
    expect(api.template.serviceAccount).toBe(saEmail('api'));
    const invokers = d.ofType('gcp:cloudrunv2/serviceIamMember:ServiceIamMember').map((r) => r.inputs);
    expect(invokers).toEqual([
      {
        project: 'student-proj-1',
        location: 'us-central1',
        name: 'modelship-dev-api',
        role: 'roles/run.invoker',
        member: `serviceAccount:${saEmail('ui')}`,
      },
    ]);
    expect(JSON.stringify(d.resources)).not.toMatch(/allUsers|allAuthenticatedUsers/);
    expect(JSON.stringify(d.resources)).not.toContain('compute@developer.gserviceaccount.com');
    const ui = d.service('ui').inputs;
    expect(ui.invokerIamDisabled).toBe(true);
    expect(ui.template.serviceAccount).toBe(saEmail('ui'));
    expect(d.env('ui')).toEqual({ API_URL, API_ID_TOKEN_AUDIENCE: API_URL });
    // No project-wide role for either account.
    expect(d.ofType('gcp:projects/iAMMember:IAMMember')).toEqual([]);
  });

  it('runs the UI on a small CPU instance that scales to zero and bills per request', async () => {
    const d = await deploy(GPU);
    const ui = d.service('ui').inputs.template;
    expect(ui.nodeSelector).toBeUndefined();
    expect(ui.scaling).toEqual({ minInstanceCount: 0, maxInstanceCount: 3 });
    expect(d.container('ui').resources).toMatchObject({
      limits: { cpu: '1', memory: '512Mi' },
      cpuIdle: true,
    });
    expect(d.container('ui').ports).toEqual({ containerPort: 8501 });
    // Longer than the proxy's 120 s, so a slow API gets the UI's own 504.
    expect(ui.timeout).toBe('150s');
  });

  it('outputs the UI run.app URL and waits for it to serve the new version', async () => {
    const d = await deploy(GPU);
    expect(d.outputs.url).toBe(UI_URL);
    expect(d.outputs.apiDocsUrl).toBe(`${UI_URL}/api/docs`);
    expect(d.outputs.domainUrl).toBeUndefined();
    expect(d.outputs.logsCommand).toBe(
      'gcloud run services logs read modelship-dev-api --region us-central1 --project student-proj-1',
    );
    const wait = d.one('command:local:Command').inputs;
    expect(wait.environment.MODELSHIP_URL).toBe(UI_URL);
    expect(wait.environment.MODELSHIP_VERSION).toBe(d.env('api').APP_VERSION);
    expect(wait.environment.MODELSHIP_BASIC_AUTH).toBeUndefined();
  });

  it('creates no load balancer, secret or VM without a domain and basic auth', async () => {
    const d = await deploy(GPU);
    const types = new Set(d.resources.map((r) => r.type));
    for (const type of [
      'gcp:compute/globalForwardingRule:GlobalForwardingRule',
      'gcp:secretmanager/secret:Secret',
      'gcp:compute/instance:Instance',
      'gcp:compute/address:Address',
    ]) {
      expect(types.has(type), type).toBe(false);
    }
  });
});

describe('cloud-run CPU only', () => {
  it('has no GPU, bills per request, and takes the configured size, instances and workers', async () => {
    const d = await deploy(CPU);
    const api = d.service('api').inputs.template;
    expect(api.nodeSelector).toBeUndefined();
    expect(api.gpuZonalRedundancyDisabled).toBeUndefined();
    expect(d.container('api').resources).toEqual({
      limits: { cpu: '2', memory: '4Gi' },
      cpuIdle: true,
      startupCpuBoost: true,
    });
    expect(api.scaling).toEqual({ minInstanceCount: 1, maxInstanceCount: 5 });
    expect(api.maxInstanceRequestConcurrency).toBe(10);
    expect(d.env('api')).toMatchObject({ WORKERS: '2', QUEUE_SIZE: '8' });
    expect(d.service('api').inputs.labels.gpu).toBe('none');
    const image = d.ofType('docker:index/image:Image').find((r) => r.inputs.imageName.includes('/api:'));
    expect(image?.inputs.build.target).toBe('api');
    expect(d.outputs.url).toBe(UI_URL);
  });
});

describe('cloud-run with a custom domain', () => {
  it('serves the UI through a global external Application Load Balancer with a serverless NEG', async () => {
    const d = await deploy(DOMAIN);
    const neg = d.one('gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup').inputs;
    expect(neg).toMatchObject({
      region: 'us-central1',
      networkEndpointType: 'SERVERLESS',
      cloudRun: { service: 'modelship-dev-ui' },
    });
    const backend = d.one('gcp:compute/backendService:BackendService').inputs;
    expect(backend.loadBalancingScheme).toBe('EXTERNAL_MANAGED');
    expect(backend.backends).toEqual([{ group: 'modelship-lb-neg-id' }]);
    expect(backend.healthChecks).toBeUndefined();
    const cert = d.one('gcp:compute/managedSslCertificate:ManagedSslCertificate').inputs;
    expect(cert.managed).toEqual({ domains: ['ocr.example.com'] });
    const https = d.one('gcp:compute/targetHttpsProxy:TargetHttpsProxy').inputs;
    expect(https.sslCertificates).toEqual(['modelship-lb-cert-id']);
    const maps = d.ofType('gcp:compute/uRLMap:URLMap').map((r) => r.inputs);
    expect(maps.find((m) => m.defaultService)?.defaultService).toBe('modelship-lb-backend-id');
    expect(maps.find((m) => m.defaultUrlRedirect)?.defaultUrlRedirect).toMatchObject({ httpsRedirect: true });
    const rules = d.ofType('gcp:compute/globalForwardingRule:GlobalForwardingRule').map((r) => r.inputs);
    expect(rules.map((r) => r.portRange).sort()).toEqual(['443', '80']);
    for (const rule of rules) {
      expect(rule.ipAddress).toBe(MOCK_LB_IP);
      expect(rule.loadBalancingScheme).toBe('EXTERNAL_MANAGED');
    }
  });

  it('points the domain at the load balancer and outputs both URLs', async () => {
    const d = await deploy(DOMAIN);
    expect(d.one('gcp:dns/recordSet:RecordSet').inputs).toMatchObject({
      managedZone: 'example-zone',
      name: 'ocr.example.com.',
      type: 'A',
      rrdatas: [MOCK_LB_IP],
    });
    expect(d.outputs.domainUrl).toBe('https://ocr.example.com');
    expect(d.outputs.domainIp).toBe(MOCK_LB_IP);
    // The run.app URL works at once; the certificate may take up to an hour after DNS points at the LB.
    expect(d.outputs.url).toBe(UI_URL);
    expect(d.outputs.hourlyCostEstimate).toContain('load balancer $0.050/h');
  });
});

describe('cloud-run with basic auth', () => {
  it('keeps the credentials in Secret Manager, readable by the UI account alone, mounted as BASIC_AUTH', async () => {
    const d = await deploy(AUTH);
    // the same component as the VM's password (infra/components/secret.ts)
    expect(d.one('modelship:infra:Secret').name).toBe('modelship-basic-auth');
    const secret = d.one('gcp:secretmanager/secret:Secret').inputs;
    expect(secret).toMatchObject({ secretId: 'modelship-dev-basic-auth', replication: { auto: {} } });
    const version = d.one('gcp:secretmanager/secretVersion:SecretVersion');
    expect(version.inputs.secretData).toBe('student:correct horse battery');
    expect(version.secretPaths).toContain('secretData');
    const accessor = d.one('gcp:secretmanager/secretIamMember:SecretIamMember').inputs;
    expect(accessor).toMatchObject({
      secretId: 'modelship-dev-basic-auth',
      role: 'roles/secretmanager.secretAccessor',
      member: `serviceAccount:${saEmail('ui')}`,
    });
    expect(d.env('ui').BASIC_AUTH).toEqual({
      secretKeyRef: { secret: 'modelship-dev-basic-auth', version: '1' },
    });
    for (const role of ['api', 'ui'] as const) {
      expect(JSON.stringify(d.service(role).inputs)).not.toContain('correct horse battery');
    }
    expect(d.env('api')).not.toHaveProperty('BASIC_AUTH');
  });

  it('hands the credentials to the readiness wait as a secret; the outputs stay readable', async () => {
    const d = await deploy(AUTH);
    const wait = d.one('command:local:Command');
    expect(wait.inputs.environment.MODELSHIP_BASIC_AUTH).toBe('student:correct horse battery');
    expect(wait.secretPaths).toEqual(['environment']);
    expect(d.outputs.url).toBe(UI_URL);
    expect(JSON.stringify(d.outputs)).not.toContain('correct horse battery');
  });
});

describe('pulumi destroy leaves nothing billable', () => {
  it('nothing is protected from deletion; only the (free) API enablements stay behind', async () => {
    // Two services and the registry; the domain adds NEG, backend, address, certificate and two rules.
    const expected: [RawConfig, number][] = [
      [GPU, 3],
      [DOMAIN, 9],
      [AUTH, 4],
    ];
    for (const [raw, count] of expected) {
      const d = await deploy(raw);
      for (const r of d.resources) {
        expect(r.inputs.deletionProtection ?? false, `${r.type} ${r.name}`).toBe(false);
        expect(r.inputs.deletionPolicy ?? 'DELETE', `${r.type} ${r.name}`).toBe('DELETE');
      }
      const kept = d.resources.filter((r) => r.inputs.disableOnDestroy === false).map((r) => r.type);
      expect(new Set(kept)).toEqual(new Set(['gcp:projects/service:Service']));
      // Every billable resource is declared by this program, so destroy deletes it.
      const billable = d.resources.filter((r) =>
        /cloudrunv2\/service:Service$|RegionNetworkEndpointGroup|BackendService|ForwardingRule|GlobalAddress|ManagedSslCertificate|secretmanager\/secret:Secret$|artifactregistry\/repository/.test(
          r.type,
        ),
      );
      expect(billable).toHaveLength(count);
    }
  });
});

describe('the cost estimate of the cloud-run shape', () => {
  it('prices an active L4 instance-hour, nothing idle at minInstances 0, and a warm instance at minInstances 1', () => {
    const gpu = parseConfig(GPU) as CloudRunConfig;
    const cost = cloudRunCostEstimate(gpu);
    // 4 vCPU x $0.000018 + 16 GiB x $0.000002 + L4 $0.0001867, per second, x 3600.
    expect(cost.activeInstanceHour).toBeCloseTo(1.0465, 3);
    expect(cost.idleHour).toBe(0);
    expect(cost.minOneIdleHour).toBeCloseTo(1.0465, 3);
    expect(cost.summary).toMatch(
      /^~\$1\.047 per active API instance-hour \(4 vCPU, 16 GiB, L4 without zonal redundancy/,
    );
    expect(cost.summary).toContain('idle at minInstances 0: $0.000/h');
    const zonal = cloudRunCostEstimate({ ...gpu, gpuZonalRedundancy: true });
    expect(zonal.activeInstanceHour).toBeCloseTo(1.4216, 3);
  });

  it('bills the CPU-only API per request, and a warm CPU instance at the idle rate', () => {
    const cost = cloudRunCostEstimate(parseConfig(CPU) as CloudRunConfig);
    expect(cost.activeInstanceHour).toBeCloseTo(0.2088, 4);
    expect(cost.minOneIdleHour).toBeCloseTo(0.054, 4);
    expect(cost.idleHour).toBeCloseTo(0.054, 4); // minInstances 1 in this config
    expect(cost.summary).toContain('request-based billing');
  });
});

describe('infra/index.ts with shape cloud-run', () => {
  it('builds the CloudRun shape from the stack config and exports its outputs', async () => {
    const { resources } = await installMocks('dev');
    pulumi.runtime.setAllConfig({
      'gcp:project': 'student-proj-1',
      'gcp:region': 'europe-west4',
      'modelship:shape': 'cloud-run',
    });
    const { default: main } = await import('../index.js');
    const out = main();
    expect(await outputValue(out.url)).toBe(UI_URL);
    expect(Object.keys(out).sort()).toEqual(
      [
        'apiDocsUrl',
        'apiImage',
        'apiService',
        'dashboardUrl',
        'hourlyCostEstimate',
        'logsCommand',
        'logsUrl',
        'region',
        'uiImage',
        'uiService',
        'url',
      ].sort(),
    );
    await settle();
    expect(resources.filter((r) => r.type === 'modelship:stacks:CloudRun')).toHaveLength(1);
    expect(resources.filter((r) => r.type === 'modelship:stacks:SingleVm')).toHaveLength(0);
  });
});
