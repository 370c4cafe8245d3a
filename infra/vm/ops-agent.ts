// The Ops Agent configuration the VM installs at /etc/google-cloud-ops-agent/config.yaml (merged by the agent
// with its built-in syslog + host-metrics config). Pure, so its shape is unit-tested against the agent's
// documented schema (infra/test/ops-agent.test.ts).
//
// Logs: the containers keep Docker's json-file driver with its rotation (docker-compose.yml: 10 MB × 3 per
// container), and the agent tails those files. Chosen over Docker's gcplogs driver because (1) `docker logs`,
// `docker compose logs` and the local rotation keep working, (2) a Logging outage or a missing credential
// never blocks or drops a container's output — the agent resumes from its checkpoint — and (3) the agent's
// processors lift our lines' severity, httpRequest and trace into the LogEntry, where gcplogs would store each
// line as an opaque payload with every entry at DEFAULT severity.
//
// Metrics: the agent's Prometheus receiver scrapes the API's /metrics through the UI's proxy on the VM's
// loopback (the API itself is only on the compose network; the VM's .env sets PROXY_METRICS=true for it, and
// neither Caddy nor the UI serve /metrics to requests from outside); the NVIDIA receiver (nvml) adds GPU
// utilisation and memory on GPU VMs.
import { stringify } from 'yaml';

export interface OpsAgentArgs {
  gpu: boolean;
  /** host:port the agent scrapes, on the VM's loopback. */
  metricsTarget: string;
  metricsPath: string;
  scrapeIntervalSeconds: number;
}

/** Where the UI publishes on the VM (UI_BIND=127.0.0.1, docker-compose.yml's default UI_PORT) and its proxy path. */
export const OPS_AGENT_DEFAULTS: OpsAgentArgs = {
  gpu: false,
  metricsTarget: '127.0.0.1:8501',
  metricsPath: '/api/metrics',
  scrapeIntervalSeconds: 30,
};

/** Docker's json-file logs, one file per container (rotated by Docker). */
export const CONTAINER_LOG_GLOB = '/var/lib/docker/containers/*/*-json.log';

/** The scrape keeps the series whose names start with this (app/api/src/metrics.ts). */
export const KEPT_METRICS_PREFIX = 'modelship_';

/** The Prometheus job name: the `job` label (and the `prometheus_target` resource's `job`) in Cloud Monitoring. */
export const SCRAPE_JOB = 'modelship-api';
const PROMETHEUS_RECEIVER = 'modelship_api';

/** LogEntry.httpRequest fields our lines carry (app/api/src/logger.ts, app/ui/server/log.ts). */
export const HTTP_REQUEST_FIELDS = [
  'requestMethod',
  'requestUrl',
  'status',
  'latency',
  'responseSize',
  'userAgent',
  'remoteIp',
] as const;

export function renderOpsAgentConfig(args: OpsAgentArgs): string {
  if (!/^[\w.-]+:\d{1,5}$/.test(args.metricsTarget)) {
    throw new Error(`metricsTarget: must be host:port, got "${args.metricsTarget}"`);
  }
  if (!args.metricsPath.startsWith('/'))
    throw new Error(`metricsPath: must start with /, got "${args.metricsPath}"`);
  if (!Number.isInteger(args.scrapeIntervalSeconds) || args.scrapeIntervalSeconds < 10) {
    throw new Error(
      `scrapeIntervalSeconds: must be an integer of at least 10, got ${args.scrapeIntervalSeconds}`,
    );
  }
  // The app's JSON line, once parsed, sits in jsonPayload; move Cloud Logging's special fields into the entry.
  const lift: Record<string, { move_from: string }> = {
    severity: { move_from: 'jsonPayload.severity' },
    trace: { move_from: 'jsonPayload."logging.googleapis.com/trace"' },
    spanId: { move_from: 'jsonPayload."logging.googleapis.com/spanId"' },
  };
  for (const field of HTTP_REQUEST_FIELDS) {
    lift[`httpRequest.${field}`] = { move_from: `jsonPayload.httpRequest.${field}` };
  }
  const config = {
    logging: {
      receivers: {
        modelship_containers: {
          type: 'files',
          include_paths: [CONTAINER_LOG_GLOB],
          // The file path names the container (its ID): agent.googleapis.com/log_file_path.
          record_log_file_path: true,
        },
      },
      processors: {
        // Docker's wrapper: {"log": "<the line>\n", "stream": "stdout", "time": "<RFC 3339, ns>"}.
        modelship_docker_json: {
          type: 'parse_json',
          time_key: 'time',
          time_format: '%Y-%m-%dT%H:%M:%S.%L%z',
        },
        // The container's own line: the API's and UI's JSON (Caddy's too). Other lines stay text in `log`.
        modelship_app_json: { type: 'parse_json', field: 'log' },
        modelship_log_entry_fields: { type: 'modify_fields', fields: lift },
      },
      service: {
        pipelines: {
          modelship: {
            receivers: ['modelship_containers'],
            processors: ['modelship_docker_json', 'modelship_app_json', 'modelship_log_entry_fields'],
          },
        },
      },
    },
    metrics: {
      receivers: {
        [PROMETHEUS_RECEIVER]: {
          type: 'prometheus',
          config: {
            scrape_configs: [
              {
                job_name: SCRAPE_JOB,
                scrape_interval: `${args.scrapeIntervalSeconds}s`,
                metrics_path: args.metricsPath,
                static_configs: [{ targets: [args.metricsTarget] }],
                // Only the app's own series: Node's default process metrics would be billed too.
                metric_relabel_configs: [
                  { source_labels: ['__name__'], regex: `${KEPT_METRICS_PREFIX}.*`, action: 'keep' },
                ],
              },
            ],
          },
        },
        // Same ID as the agent's built-in GPU receiver, so that it is defined once whichever config wins.
        ...(args.gpu && { nvidia_gpu: { type: 'nvml', collection_interval: '60s' } }),
      },
      service: {
        pipelines: {
          modelship: { receivers: [PROMETHEUS_RECEIVER] },
          ...(args.gpu && {
            // Redefines the built-in pipeline (host metrics) with the GPU receiver added.
            default_pipeline: { receivers: ['hostmetrics', 'nvidia_gpu'], processors: ['metrics_filter'] },
          }),
        },
      },
    },
  };
  return `# Written by modelship (infra/vm/ops-agent.ts); the agent merges it with its built-in configuration.\n${stringify(config)}`;
}
