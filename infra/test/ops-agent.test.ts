// The Ops Agent config, checked against the agent's documented configuration schema
// (https://cloud.google.com/stackdriver/docs/solutions/agents/ops-agent/configuration and its Prometheus
// page): the receiver and processor types with their documented options only (strict: a misspelt option
// fails here instead of making the agent refuse to start on the VM), LogEntry fields modify_fields may
// write, and pipelines that name only defined (or built-in) components.

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  CONTAINER_LOG_GLOB,
  HTTP_REQUEST_FIELDS,
  OPS_AGENT_DEFAULTS,
  renderOpsAgentConfig,
  SCRAPE_JOB,
} from '../vm/ops-agent.js';

const duration = z.string().regex(/^\d+(ms|s|m|h)$/);
const id = z.string().regex(/^[A-Za-z0-9_.-]+$/);

const filesReceiver = z.strictObject({
  type: z.literal('files'),
  include_paths: z.array(z.string().startsWith('/')).min(1),
  exclude_paths: z.array(z.string()).optional(),
  record_log_file_path: z.boolean().optional(),
  wildcard_refresh_interval: duration.optional(),
  buffer_in_memory: z.boolean().optional(),
});
const parseJson = z.strictObject({
  type: z.literal('parse_json'),
  field: z.string().optional(),
  time_key: z.string().optional(),
  time_format: z.string().optional(),
});
// LogEntry fields modify_fields can write (documented list), plus jsonPayload.* and labels.*.
const LOG_ENTRY_FIELDS = [
  'severity',
  'trace',
  'spanId',
  'logName',
  ...[
    'cacheFillBytes',
    'cacheHit',
    'cacheLookup',
    'cacheValidatedWithOriginServer',
    'latency',
    'protocol',
    'referer',
    'remoteIp',
    'requestMethod',
    'requestSize',
    'requestUrl',
    'responseSize',
    'serverIp',
    'status',
    'userAgent',
  ].map((f) => `httpRequest.${f}`),
];
const modifyField = z.strictObject({
  move_from: z.string().optional(),
  copy_from: z.string().optional(),
  static_value: z.string().optional(),
  default_value: z.string().optional(),
  map_values: z.record(z.string(), z.string()).optional(),
  map_values_exclusive: z.boolean().optional(),
  omit_if: z.string().optional(),
  type: z.enum(['integer', 'float']).optional(),
});
const modifyFields = z.strictObject({
  type: z.literal('modify_fields'),
  fields: z.record(
    z
      .string()
      .refine(
        (f) => LOG_ENTRY_FIELDS.includes(f) || /^(jsonPayload|labels)\./.test(f),
        'not a writable field',
      ),
    modifyField,
  ),
});
const pipeline = z.strictObject({
  receivers: z.array(id).min(1),
  processors: z.array(id).optional(),
});
const prometheusReceiver = z.strictObject({
  type: z.literal('prometheus'),
  config: z.strictObject({
    scrape_configs: z
      .array(
        z.strictObject({
          job_name: z.string().min(1),
          scrape_interval: duration,
          scrape_timeout: duration.optional(),
          metrics_path: z.string().startsWith('/'),
          scheme: z.enum(['http', 'https']).optional(),
          static_configs: z.array(
            z.strictObject({ targets: z.array(z.string().regex(/^[\w.-]+:\d+$/)).min(1) }),
          ),
          metric_relabel_configs: z
            .array(
              z.strictObject({
                source_labels: z.array(z.string()).optional(),
                regex: z.string().optional(),
                action: z.enum(['keep', 'drop', 'replace', 'labeldrop', 'labelkeep']),
              }),
            )
            .optional(),
        }),
      )
      .min(1),
  }),
});
const nvmlReceiver = z.strictObject({ type: z.literal('nvml'), collection_interval: duration.optional() });
const schema = z.strictObject({
  logging: z.strictObject({
    receivers: z.record(id, filesReceiver),
    processors: z.record(id, z.union([parseJson, modifyFields])),
    service: z.strictObject({ pipelines: z.record(id, pipeline) }),
  }),
  metrics: z.strictObject({
    receivers: z.record(id, z.union([prometheusReceiver, nvmlReceiver])),
    service: z.strictObject({ pipelines: z.record(id, pipeline) }),
  }),
});
// The agent's built-in Linux config (merged with ours): components a pipeline may name without defining them.
const BUILT_IN = { logging: ['syslog'], metrics: ['hostmetrics', 'metrics_filter'] };

function validate(text: string) {
  const config = schema.parse(parse(text));
  for (const area of ['logging', 'metrics'] as const) {
    const section = config[area];
    const defined = [
      ...Object.keys(section.receivers),
      ...Object.keys('processors' in section ? section.processors : {}),
      ...BUILT_IN[area],
    ];
    for (const [name, p] of Object.entries(section.service.pipelines)) {
      for (const ref of [...p.receivers, ...(p.processors ?? [])]) {
        expect(defined, `${area} pipeline ${name} names ${ref}`).toContain(ref);
      }
    }
  }
  return config;
}

describe('renderOpsAgentConfig', () => {
  it('CPU VM: tails the containers json-file logs and scrapes the API, no GPU receiver', () => {
    const config = validate(renderOpsAgentConfig(OPS_AGENT_DEFAULTS));
    expect(config.logging.receivers.modelship_containers?.include_paths).toEqual([CONTAINER_LOG_GLOB]);
    const scrape = (config.metrics.receivers.modelship_api as z.infer<typeof prometheusReceiver>).config
      .scrape_configs[0];
    expect(scrape).toMatchObject({
      job_name: SCRAPE_JOB,
      metrics_path: '/api/metrics',
      static_configs: [{ targets: ['127.0.0.1:8501'] }],
    });
    expect(JSON.stringify(config.metrics)).not.toContain('nvml');
    // only the app's series are kept (billed per sample)
    expect(scrape?.metric_relabel_configs).toEqual([
      { source_labels: ['__name__'], regex: 'modelship_.*', action: 'keep' },
    ]);
  });

  it('GPU VM: adds the NVIDIA receiver to the built-in host metrics pipeline', () => {
    const config = validate(renderOpsAgentConfig({ ...OPS_AGENT_DEFAULTS, gpu: true }));
    expect(config.metrics.receivers.nvidia_gpu).toEqual({ type: 'nvml', collection_interval: '60s' });
    expect(config.metrics.service.pipelines.default_pipeline?.receivers).toEqual([
      'hostmetrics',
      'nvidia_gpu',
    ]);
  });

  it('lifts severity, trace and every httpRequest field the apps log into the LogEntry', () => {
    const config = validate(renderOpsAgentConfig(OPS_AGENT_DEFAULTS));
    const lift = Object.values(config.logging.processors).find((p) => p.type === 'modify_fields');
    const fields = (lift as z.infer<typeof modifyFields>).fields;
    expect(fields.severity).toEqual({ move_from: 'jsonPayload.severity' });
    expect(fields.trace).toEqual({ move_from: 'jsonPayload."logging.googleapis.com/trace"' });
    for (const f of HTTP_REQUEST_FIELDS)
      expect(fields[`httpRequest.${f}`]).toEqual({ move_from: `jsonPayload.httpRequest.${f}` });
  });

  it('the lifted fields are exactly the ones a real API request line carries', async () => {
    const { requestLogFields } = await import('../../app/api/src/logger.js');
    const line = requestLogFields(
      {
        method: 'GET',
        path: '/v1/models',
        status: 200,
        seconds: 0.01,
        responseSize: '10',
        socketIp: '127.0.0.1',
        headers: new Headers({ 'user-agent': 'x', 'x-cloud-trace-context': `${'a'.repeat(32)}/1;o=1` }),
      },
      'p-123456',
    );
    expect(Object.keys(line.httpRequest as object).sort()).toEqual([...HTTP_REQUEST_FIELDS].sort());
  });

  it('refuses values the agent would reject', () => {
    expect(() => renderOpsAgentConfig({ ...OPS_AGENT_DEFAULTS, metricsTarget: 'http://x:1' })).toThrow(
      /metricsTarget/,
    );
    expect(() => renderOpsAgentConfig({ ...OPS_AGENT_DEFAULTS, metricsPath: 'metrics' })).toThrow(
      /metricsPath/,
    );
    expect(() => renderOpsAgentConfig({ ...OPS_AGENT_DEFAULTS, scrapeIntervalSeconds: 1 })).toThrow(/scrape/);
  });

  it('the schema catches a misspelt option', () => {
    const bad = renderOpsAgentConfig(OPS_AGENT_DEFAULTS).replace('include_paths', 'include_path');
    expect(() => validate(bad)).toThrow();
  });
});
