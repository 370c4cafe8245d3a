// Monitoring in the same `pulumi up`: a dashboard of the shape's metrics (infra/monitoring/queries.ts), an
// uptime check on the site's health path (with the basic-auth credentials when the site has them), and, when
// an alert e-mail is set, an e-mail notification channel with three alert policies: site down, 5xx rate and
// prediction latency.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { type MonitoredShape, renderDashboard, shapeQueries } from '../monitoring/queries.js';
import { childOptions } from './options.js';

/** Alert thresholds: a share of failed requests, and the p95 prediction latency, each held for 10 minutes. */
export const ALERT_THRESHOLDS = { errorRatio: 0.05, latencyP95Seconds: 10, holdFor: '600s' } as const;

export interface MonitoringArgs {
  project: string;
  shape: MonitoredShape;
  /** Names the dashboard and the checks, so that several stacks can share a project. */
  stackName: string;
  /** Public base URL, https://<host>. */
  url: pulumi.Input<string>;
  /** Path the uptime check requests, e.g. /api/health. */
  healthPath: string;
  /** `user` plus the password (secret) when the site is behind basic auth. */
  basicAuth?: { user: string; password: pulumi.Input<string> };
  gpu: boolean;
  /** Cloud Run service name (cloud-run shape): its metrics are filtered by it. */
  cloudRunService?: pulumi.Input<string>;
  /** Alerts go to this address; no channel and no alert policies without it. */
  alertEmail?: string;
  /** What the site-down alert tells the reader to try first (e.g. how to start a stopped VM). */
  downHint: pulumi.Input<string>;
  /** Cloud Logging query for this deployment's logs: the logs link opens it. */
  logsQuery: pulumi.Input<string>;
  labels: Record<string, string>;
}

export const consoleUrl = (path: string, project: string) =>
  `https://console.cloud.google.com/${path}?project=${encodeURIComponent(project)}`;

/** The Logs Explorer with `query` filled in. */
export const logsExplorerUrl = (query: string, project: string) =>
  consoleUrl(`logs/query;query=${encodeURIComponent(query)}`, project);

export class Monitoring extends pulumi.ComponentResource {
  readonly dashboard: gcp.monitoring.Dashboard;
  readonly uptimeCheck: gcp.monitoring.UptimeCheckConfig;
  readonly channel?: gcp.monitoring.NotificationChannel;
  readonly alertPolicies: gcp.monitoring.AlertPolicy[] = [];
  readonly dashboardUrl: pulumi.Output<string>;
  readonly logsUrl: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:infra:Monitoring', name, {}, opts);
    const child = childOptions(this, opts);
    const title = `modelship ${args.stackName}`;

    const queries = pulumi
      .output(args.cloudRunService)
      .apply((service) =>
        shapeQueries(args.shape, { gpu: args.gpu, ...(service && { cloudRunService: service }) }),
      );

    this.dashboard = new gcp.monitoring.Dashboard(
      `${name}-dashboard`,
      {
        project: args.project,
        dashboardJson: pulumi
          .all([queries, args.downHint])
          .apply(([q, hint]) =>
            renderDashboard(
              title,
              q.panels,
              `Requests, latency and errors of ${args.shape === 'single-vm' ? "the API (its own /metrics, scraped by the VM's Ops Agent)" : 'the Cloud Run service (its built-in metrics)'}. Nothing plotted at all: the site may be stopped. ${hint}`,
            ),
          ),
      },
      child,
    );
    // The console URL takes the dashboard's own ID, the last part of projects/N/dashboards/ID.
    this.dashboardUrl = this.dashboard.id.apply((id) =>
      consoleUrl(`monitoring/dashboards/custom/${id.split('/').pop()}`, args.project),
    );
    this.logsUrl = pulumi.output(args.logsQuery).apply((q) => logsExplorerUrl(q, args.project));

    const host = pulumi.output(args.url).apply((url) => new URL(url).host);
    this.uptimeCheck = new gcp.monitoring.UptimeCheckConfig(
      `${name}-uptime`,
      {
        project: args.project,
        displayName: `${title} ${args.healthPath}`,
        timeout: '10s',
        period: '60s',
        monitoredResource: { type: 'uptime_url', labels: { project_id: args.project, host } },
        httpCheck: {
          path: args.healthPath,
          port: 443,
          useSsl: true,
          validateSsl: true,
          requestMethod: 'GET',
          acceptedResponseStatusCodes: [{ statusClass: 'STATUS_CLASS_2XX' }],
          ...(args.basicAuth && {
            authInfo: { username: args.basicAuth.user, password: pulumi.secret(args.basicAuth.password) },
          }),
        },
        contentMatchers: [{ content: '"status":"ok"', matcher: 'CONTAINS_STRING' }],
        userLabels: args.labels,
      },
      child,
    );

    if (args.alertEmail) {
      this.channel = new gcp.monitoring.NotificationChannel(
        `${name}-email`,
        {
          project: args.project,
          displayName: `${title} alerts`,
          type: 'email',
          labels: { email_address: args.alertEmail },
          userLabels: args.labels,
        },
        child,
      );
      const channels = [this.channel.id];
      const policy = (
        id: string,
        displayName: string,
        condition: gcp.types.input.monitoring.AlertPolicyCondition,
        content: pulumi.Input<string>,
      ) =>
        new gcp.monitoring.AlertPolicy(
          `${name}-${id}`,
          {
            project: args.project,
            displayName: `${title}: ${displayName}`,
            combiner: 'OR',
            conditions: [condition],
            notificationChannels: channels,
            documentation: { content, mimeType: 'text/markdown' },
            alertStrategy: { autoClose: '86400s' },
            userLabels: args.labels,
          },
          child,
        );

      this.alertPolicies.push(
        policy(
          'down',
          'site down',
          {
            displayName: `${args.healthPath} fails from the uptime checkers`,
            conditionThreshold: {
              filter: pulumi.interpolate`metric.type="monitoring.googleapis.com/uptime_check/check_passed" AND metric.label.check_id="${this.uptimeCheck.uptimeCheckId}" AND resource.type="uptime_url"`,
              comparison: 'COMPARISON_GT',
              thresholdValue: 1,
              duration: '300s',
              aggregations: [
                {
                  alignmentPeriod: '300s',
                  perSeriesAligner: 'ALIGN_NEXT_OLDER',
                  crossSeriesReducer: 'REDUCE_COUNT_FALSE',
                  groupByFields: ['resource.label.*'],
                },
              ],
              trigger: { count: 1 },
            },
          },
          pulumi.interpolate`The site does not answer ${args.healthPath} with 200. ${args.downHint}`,
        ),
      );
      const promql = (id: string, displayName: string, query: pulumi.Input<string>, content: string) =>
        this.alertPolicies.push(
          policy(
            id,
            displayName,
            {
              displayName,
              conditionPrometheusQueryLanguage: {
                query,
                duration: ALERT_THRESHOLDS.holdFor,
                evaluationInterval: '60s',
              },
            },
            content,
          ),
        );
      promql(
        'errors',
        '5xx rate',
        queries.apply((q) => `(${q.errorRatio}) > ${ALERT_THRESHOLDS.errorRatio}`),
        `Over ${ALERT_THRESHOLDS.errorRatio * 100}% of the requests fail with a server error. The logs link in \`pulumi stack output logsUrl\` shows them (severity ERROR).`,
      );
      promql(
        'latency',
        'prediction latency',
        queries.apply((q) => `${q.latencyP95Seconds} > ${ALERT_THRESHOLDS.latencyP95Seconds}`),
        `The slowest 5% of predictions take over ${ALERT_THRESHOLDS.latencyP95Seconds} s. The dashboard shows the queue depth${args.gpu ? ' and GPU use' : ''}: a long queue means more replicas or workers (apiReplicas, apiWorkers).`,
      );
    }

    this.registerOutputs({ dashboardUrl: this.dashboardUrl, logsUrl: this.logsUrl });
  }
}
