// Operating the deployment, under mocks: the dashboard JSON parses and plots only metrics that the shape's
// collector exports (the real API registry as the Ops Agent keeps it, the agent's GPU metrics, Cloud Run's
// built-in metrics); the uptime check targets the output URL's health path, with the credentials when the
// site has basic auth; alerts exist only with an e-mail; the budget only with a billing account.
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../app/api/src/metrics.js';
import { Monitoring } from '../components/monitoring.js';
import type { RawConfig } from '../config.js';
import { metricNames, shapeQueries } from '../monitoring/queries.js';
import { HEALTH_PATH } from '../readiness/wait.js';
import { KEPT_METRICS_PREFIX } from '../vm/ops-agent.js';
import {
  deployShape,
  installMocks,
  MOCK_INSTANCE_ID,
  MOCK_IP,
  MOCK_PROJECT_NUMBER,
  outputValue,
  type Recorded,
  runAppUrl,
  settle,
} from './mocks.js';

const DEV: RawConfig = { 'gcp:project': 'student-proj-1', 'gcp:zone': 'us-central1-a' };
const CPU: RawConfig = { ...DEV, machineType: 'e2-standard-4', gpu: 'none' };
const SITE = `https://${MOCK_IP.replaceAll('.', '-')}.sslip.io`;

/** Series names the API exports (its real registry), as the Ops Agent's scrape keeps them. */
async function scrapedApiSeries(): Promise<Set<string>> {
  const metrics = createMetrics(() => ({ queueDepth: 0, inFlight: 0, workers: 1 }));
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    if (!m.name.startsWith(KEPT_METRICS_PREFIX)) continue;
    const suffixes = String(m.type) === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
    for (const s of suffixes) names.add(`${m.name}${s}`);
  }
  return names;
}
/** The Ops Agent's NVIDIA receiver (agent.googleapis.com/gpu/...), by their PromQL names. */
const OPS_AGENT_GPU = ['agent_googleapis_com:gpu_utilization', 'agent_googleapis_com:gpu_memory_bytes_used'];
/** Cloud Run's built-in metrics (run.googleapis.com/...), by their PromQL names. */
const CLOUD_RUN = [
  'run_googleapis_com:request_count',
  'run_googleapis_com:request_latencies_bucket',
  'run_googleapis_com:request_latencies_count',
  'run_googleapis_com:request_latencies_sum',
  'run_googleapis_com:container_instance_count',
];

const deploy = (raw: RawConfig) => deployShape('single-vm', raw);

function dashboardQueries(dashboard: Recorded): string[] {
  const json = JSON.parse(dashboard.inputs.dashboardJson) as {
    displayName: string;
    mosaicLayout: {
      tiles: { widget: { xyChart?: { dataSets: { timeSeriesQuery: { prometheusQuery: string } }[] } } }[];
    };
  };
  expect(json.displayName).toBe('modelship dev');
  return json.mosaicLayout.tiles.flatMap(
    (t) => t.widget.xyChart?.dataSets.map((d) => d.timeSeriesQuery.prometheusQuery) ?? [],
  );
}

describe('dashboard', () => {
  it('single-vm with a GPU: requests, latency, 5xx and 503, queue depth, stages and GPU, from exported metrics only', async () => {
    const d = await deploy(DEV);
    const [dashboard] = d.ofType('gcp:monitoring/dashboard:Dashboard');
    const queries = dashboardQueries(dashboard as Recorded);
    const used = new Set(queries.flatMap(metricNames));
    const exported = new Set([...(await scrapedApiSeries()), ...OPS_AGENT_GPU]);
    for (const name of used) expect(exported, `${name} is not exported`).toContain(name);
    for (const needed of [
      'modelship_http_requests_total',
      'modelship_http_request_duration_seconds_bucket',
      'modelship_queue_depth',
      'modelship_inference_stage_duration_seconds_bucket',
      ...OPS_AGENT_GPU,
    ]) {
      expect(used).toContain(needed);
    }
    expect(queries.some((q) => q.includes('status="503"'))).toBe(true);
    expect(queries.some((q) => q.includes('histogram_quantile(0.95'))).toBe(true);
    expect(queries.some((q) => q.includes('histogram_quantile(0.5'))).toBe(true);
    expect(d.outputs.dashboardUrl).toBe(
      'https://console.cloud.google.com/monitoring/dashboards/custom/modelship-monitoring-dashboard-id?project=student-proj-1',
    );
  });

  it('a CPU VM has no GPU panel', async () => {
    const d = await deploy(CPU);
    const queries = dashboardQueries(d.ofType('gcp:monitoring/dashboard:Dashboard')[0] as Recorded);
    expect(queries.flatMap(metricNames).filter((n) => n.startsWith('agent_'))).toEqual([]);
  });

  it('cloud-run: requests, latency, 5xx and 503, instance count, from run.googleapis.com only', async () => {
    await installMocks('dev');
    const monitoring = new Monitoring('m', {
      project: 'student-proj-1',
      shape: 'cloud-run',
      stackName: 'dev',
      url: 'https://modelship-abc-uc.a.run.app',
      healthPath: HEALTH_PATH,
      gpu: false,
      cloudRunService: 'modelship-dev',
      downHint: 'Cloud Run starts an instance on the next request.',
      logsQuery: 'resource.type="cloud_run_revision"',
      labels: {},
    });
    const json = await outputValue(monitoring.dashboard.dashboardJson);
    const queries: string[] = JSON.parse(json).mosaicLayout.tiles.flatMap(
      (t: { widget: { xyChart?: { dataSets: { timeSeriesQuery: { prometheusQuery: string } }[] } } }) =>
        t.widget.xyChart?.dataSets.map((s) => s.timeSeriesQuery.prometheusQuery) ?? [],
    );
    const used = new Set(queries.flatMap(metricNames));
    for (const name of used) expect(CLOUD_RUN, `${name} is not a Cloud Run metric`).toContain(name);
    expect(used).toContain('run_googleapis_com:container_instance_count');
    for (const q of queries) expect(q).toContain('service_name="modelship-dev"');
    await settle();
  });

  it('the alert queries read exported metrics too', async () => {
    const exported = new Set([...(await scrapedApiSeries()), ...OPS_AGENT_GPU]);
    const vm = shapeQueries('single-vm', { gpu: true });
    for (const name of [vm.errorRatio, vm.latencyP95Seconds].flatMap(metricNames))
      expect(exported).toContain(name);
    const run = shapeQueries('cloud-run', { gpu: false, cloudRunService: 's' });
    for (const name of [run.errorRatio, run.latencyP95Seconds].flatMap(metricNames))
      expect(CLOUD_RUN).toContain(name);
    expect(() => shapeQueries('cloud-run', { gpu: false })).toThrow(/service name/);
  });

  it('metricNames finds the series in a query, not its functions', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le) (rate(a_bucket{x="1"}[5m]))) / sum(b)')).toEqual(
      ['a_bucket', 'b'],
    );
  });
});

describe('uptime check', () => {
  it('requests the output URL health path over HTTPS, without credentials on an open site', async () => {
    const d = await deploy(DEV);
    const [check] = d.ofType('gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig');
    const inputs = (check as Recorded).inputs;
    expect(inputs.monitoredResource).toEqual({
      type: 'uptime_url',
      labels: { project_id: 'student-proj-1', host: new URL(d.outputs.url).host },
    });
    expect(d.outputs.url).toBe(SITE);
    expect(inputs.httpCheck).toMatchObject({
      path: '/api/health',
      port: 443,
      useSsl: true,
      validateSsl: true,
    });
    expect(inputs.httpCheck.authInfo).toBeUndefined();
    expect(inputs.period).toBe('60s');
  });

  it('passes basic auth when the site has it, the password as a secret', async () => {
    const d = await deploy({ ...DEV, basicAuth: 'class:correct-horse-battery' });
    const check = d.ofType('gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig')[0] as Recorded;
    expect(check.inputs.httpCheck.authInfo).toEqual({ username: 'class', password: 'correct-horse-battery' });
    // the password travels as a secret (the engine marks the enclosing input secret)
    expect(check.secretPaths.some((path) => 'httpCheck.authInfo.password'.startsWith(path))).toBe(true);
  });
});

const ORDER = ['modelship dev: site down', 'modelship dev: 5xx rate', 'modelship dev: prediction latency'];

describe('alerts', () => {
  it('none without an alert e-mail', async () => {
    const d = await deploy(DEV);
    expect(d.ofType('gcp:monitoring/alertPolicy:AlertPolicy')).toEqual([]);
    expect(d.ofType('gcp:monitoring/notificationChannel:NotificationChannel')).toEqual([]);
  });

  it('site down, 5xx rate and latency to an e-mail channel; the down alert says how to start the VM', async () => {
    const d = await deploy({ ...DEV, alertEmail: 'teacher@example.edu', idleStopMinutes: '120' });
    const [channel] = d.ofType('gcp:monitoring/notificationChannel:NotificationChannel');
    expect(channel?.inputs).toMatchObject({
      type: 'email',
      labels: { email_address: 'teacher@example.edu' },
    });
    const policies = d
      .ofType('gcp:monitoring/alertPolicy:AlertPolicy')
      .map((p) => p.inputs)
      .sort((a, b) => ORDER.indexOf(a.displayName) - ORDER.indexOf(b.displayName));
    expect(policies.map((p) => p.displayName)).toEqual(ORDER);
    expect(ORDER).toEqual([
      'modelship dev: site down',
      'modelship dev: 5xx rate',
      'modelship dev: prediction latency',
    ]);
    for (const p of policies) expect(p.notificationChannels).toEqual(['modelship-monitoring-email-id']);
    const down = policies[0];
    expect(down?.conditions[0].conditionThreshold.filter).toContain(
      'metric.label.check_id="modelship-monitoring-uptime-check-id"',
    );
    expect(down?.documentation.content).toContain('120 min without a prediction request');
    expect(down?.documentation.content).toContain(
      'gcloud compute instances start modelship-vm-instance-a1b2c3d --zone us-central1-a --project student-proj-1',
    );
    const errors = policies[1]?.conditions[0].conditionPrometheusQueryLanguage.query as string;
    expect(errors).toMatch(
      /^\(sum\(rate\(modelship_http_requests_total\{status=~"5\.\.",status!="503"\}\[5m\]\)\) \/ .*\) > 0\.05$/,
    );
    const latency = policies[2]?.conditions[0].conditionPrometheusQueryLanguage.query as string;
    expect(latency).toMatch(/^histogram_quantile\(0\.95, .*model!="".*\) > 10$/);
  });
});

describe('budget', () => {
  it('none without a billing account', async () => {
    const d = await deploy({ ...DEV, alertEmail: 'teacher@example.edu' });
    expect(d.ofType('gcp:billing/budget:Budget')).toEqual([]);
    expect(d.calls.map((c) => c.token)).not.toContain('gcp:organizations/getProject:getProject');
  });

  it('a monthly budget for this project with e-mails at 50, 90 and 100 %', async () => {
    const d = await deploy({
      ...DEV,
      alertEmail: 'teacher@example.edu',
      billingAccount: '012345-6789AB-CDEF01',
      monthlyBudget: '40',
    });
    const [budget] = d.ofType('gcp:billing/budget:Budget');
    expect(budget?.inputs).toMatchObject({
      billingAccount: '012345-6789AB-CDEF01',
      amount: { specifiedAmount: { units: '40' } },
      budgetFilter: { projects: [`projects/${MOCK_PROJECT_NUMBER}`], calendarPeriod: 'MONTH' },
      allUpdatesRule: {
        monitoringNotificationChannels: ['modelship-monitoring-email-id'],
        disableDefaultIamRecipients: false,
      },
    });
    expect(
      budget?.inputs.thresholdRules.map((r: { thresholdPercent: number }) => r.thresholdPercent),
    ).toEqual([0.5, 0.9, 1]);
    const services = d.ofType('gcp:projects/service:Service').map((s) => s.inputs.service);
    expect(services).toContain('billingbudgets.googleapis.com');
    const [provider] = d.ofType('pulumi:providers:gcp');
    expect(provider?.inputs).toMatchObject({ billingProject: 'student-proj-1', userProjectOverride: 'true' });
  });
});

describe('outputs and VM settings', () => {
  it('links the logs of this VM, and says how to start it after an idle stop', async () => {
    const d = await deploy({ ...DEV, idleStopMinutes: '120' });
    const query = `resource.type="gce_instance" AND resource.labels.instance_id="${MOCK_INSTANCE_ID}" AND log_id("modelship_containers")`;
    expect(d.outputs.logsUrl).toBe(
      `https://console.cloud.google.com/logs/query;query=${encodeURIComponent(query)}?project=student-proj-1`,
    );
    expect(d.outputs.logsCommand).toBe(
      `gcloud logging read '${query}' --project student-proj-1 --freshness 1h --limit 50`,
    );
    expect(d.outputs.idleStop).toBe(
      `stops after 120 min without a prediction; the URL then fails until: ${d.outputs.startCommand}`,
    );
    const instance = d.ofType('gcp:compute/instance:Instance')[0] as Recorded;
    const env = instance.inputs.metadata['modelship-env'] as string;
    expect(env).toContain("IDLE_STOP_MINUTES='120'");
    expect(env).toContain("GOOGLE_CLOUD_PROJECT='student-proj-1'");
    expect(instance.inputs.metadata['modelship-ops-agent']).toContain('nvml');
  });

  it('idle stop off by default: no setting on the VM', async () => {
    const d = await deploy(CPU);
    const instance = d.ofType('gcp:compute/instance:Instance')[0] as Recorded;
    expect(instance.inputs.metadata['modelship-env']).not.toContain('IDLE_STOP_MINUTES');
    expect(instance.inputs.metadata['modelship-ops-agent']).not.toContain('nvml');
    expect(d.outputs.idleStop).toMatch(/^off/);
  });
});

describe('cloud-run shape', () => {
  const deployRun = (raw: RawConfig) =>
    deployShape('cloud-run', {
      'gcp:project': 'student-proj-1',
      'gcp:region': 'us-central1',
      shape: 'cloud-run',
      ...raw,
    });

  it('checks the UI URL, plots the API service, links both services logs, and alerts by e-mail', async () => {
    const d = await deployRun({
      basicAuth: 'class:correct-horse-battery',
      alertEmail: 'teacher@example.edu',
    });
    const check = d.ofType('gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig')[0] as Recorded;
    expect(check.inputs.monitoredResource.labels.host).toBe(new URL(runAppUrl('modelship-dev-ui')).host);
    expect(check.inputs.httpCheck).toMatchObject({ path: '/api/health', authInfo: { username: 'class' } });
    const dashboard = d.ofType('gcp:monitoring/dashboard:Dashboard')[0] as Recorded;
    expect(dashboard.inputs.dashboardJson).toContain('service_name=\\"modelship-dev-api\\"');
    expect(d.ofType('gcp:monitoring/alertPolicy:AlertPolicy')).toHaveLength(3);
    expect(decodeURIComponent(d.outputs.logsUrl)).toContain(
      'resource.type="cloud_run_revision" AND resource.labels.service_name=("modelship-dev-api" OR "modelship-dev-ui")',
    );
    expect(d.outputs.dashboardUrl).toMatch(
      /^https:\/\/console\.cloud\.google\.com\/monitoring\/dashboards\/custom\//,
    );
    const api = d
      .ofType('gcp:cloudrunv2/service:Service')
      .find((r) => r.inputs.name === 'modelship-dev-api') as Recorded;
    expect(JSON.stringify(api.inputs.template.containers[0].envs)).toContain('GOOGLE_CLOUD_PROJECT');
  });
});
