// What the dashboard and the alert policies plot and watch, per deployment shape, as PromQL over the metrics
// that shape's collector exports (Cloud Monitoring answers PromQL for every metric it holds):
//
// - single-vm: the API's own Prometheus metrics (app/api/src/metrics.ts), scraped by the Ops Agent
//   (infra/vm/ops-agent.ts keeps only modelship_*), and the agent's NVIDIA GPU metrics;
// - cloud-run: Cloud Run's built-in request and instance metrics (run.googleapis.com), with no scrape.
//
// Pure data, so a test can check every metric named here against what the collector exports.

export type MonitoredShape = 'single-vm' | 'cloud-run';

export interface Panel {
  title: string;
  /** One PromQL query per plotted line, with its legend. */
  lines: { query: string; legend: string }[];
  unit?: string;
}

export interface ShapeQueries {
  panels: Panel[];
  /** Ratio of failed (5xx, 503 excluded where the API answers it as "busy") to all requests, over 5 minutes. */
  errorRatio: string;
  /** p95 latency of prediction requests, in seconds, over 5 minutes. */
  latencyP95Seconds: string;
}

const WINDOW = '5m';

/** Label matchers in PromQL: {a="b",c=~"d"}. */
const sel = (matchers: string[]) => (matchers.length > 0 ? `{${matchers.join(',')}}` : '');

function vmQueries(gpu: boolean): ShapeQueries {
  const requests = 'modelship_http_requests_total';
  const buckets = 'modelship_http_request_duration_seconds_bucket';
  const rate = (matchers: string[]) => `sum(rate(${requests}${sel(matchers)}[${WINDOW}]))`;
  const quantile = (q: number, metric: string, by: string[], matchers: string[]) =>
    `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (rate(${metric}${sel(matchers)}[${WINDOW}])))`;
  const predictions = ['model!=""'];
  const panels: Panel[] = [
    {
      title: 'Requests per second',
      unit: 'req/s',
      lines: [
        { query: rate([]), legend: 'all requests' },
        { query: rate(predictions), legend: 'predictions' },
      ],
    },
    {
      title: 'Prediction latency (p50, p95)',
      unit: 's',
      lines: [
        { query: quantile(0.5, buckets, [], predictions), legend: 'p50' },
        { query: quantile(0.95, buckets, [], predictions), legend: 'p95' },
      ],
    },
    {
      title: 'Errors per second: 5xx and 503 (busy or warming up)',
      unit: 'req/s',
      lines: [
        { query: rate(['status=~"5.."', 'status!="503"']), legend: '5xx (not 503)' },
        { query: rate(['status="503"']), legend: '503' },
      ],
    },
    {
      title: 'Queue depth and requests in flight',
      lines: [
        { query: 'sum(modelship_queue_depth)', legend: 'waiting for a worker' },
        { query: 'sum(modelship_inflight_requests)', legend: 'in flight' },
      ],
    },
    {
      title: 'Inference stage time (p95)',
      unit: 's',
      lines: [
        {
          query: quantile(0.95, 'modelship_inference_stage_duration_seconds_bucket', ['stage'], []),
          legend: '{{stage}}',
        },
      ],
    },
  ];
  if (gpu) {
    panels.push({
      title: 'GPU utilisation and memory',
      lines: [
        { query: 'avg(agent_googleapis_com:gpu_utilization)', legend: 'utilisation %' },
        { query: 'sum(agent_googleapis_com:gpu_memory_bytes_used)', legend: 'memory used (bytes)' },
      ],
    });
  }
  return {
    panels,
    errorRatio: `${rate(['status=~"5.."', 'status!="503"'])} / ${rate([])}`,
    latencyP95Seconds: quantile(0.95, buckets, [], predictions),
  };
}

function cloudRunQueries(service: string): ShapeQueries {
  const revision = ['monitored_resource="cloud_run_revision"', `service_name="${service}"`];
  const rate = (matchers: string[]) =>
    `sum(rate(run_googleapis_com:request_count${sel([...revision, ...matchers])}[${WINDOW}]))`;
  // request_latencies is a distribution in milliseconds
  const quantile = (q: number) =>
    `histogram_quantile(${q}, sum by (le) (rate(run_googleapis_com:request_latencies_bucket${sel(revision)}[${WINDOW}]))) / 1000`;
  return {
    panels: [
      { title: 'Requests per second', unit: 'req/s', lines: [{ query: rate([]), legend: 'all requests' }] },
      {
        title: 'Request latency (p50, p95)',
        unit: 's',
        lines: [
          { query: quantile(0.5), legend: 'p50' },
          { query: quantile(0.95), legend: 'p95' },
        ],
      },
      {
        title: 'Errors per second: 5xx and 503',
        unit: 'req/s',
        lines: [
          { query: rate(['response_code_class="5xx"']), legend: '5xx' },
          { query: rate(['response_code="503"']), legend: '503' },
        ],
      },
      {
        title: 'Instances',
        lines: [
          {
            query: `sum by (state) (run_googleapis_com:container_instance_count${sel(revision)})`,
            legend: '{{state}}',
          },
        ],
      },
    ],
    errorRatio: `${rate(['response_code_class="5xx"'])} / ${rate([])}`,
    latencyP95Seconds: quantile(0.95),
  };
}

export function shapeQueries(
  shape: MonitoredShape,
  opts: { gpu: boolean; cloudRunService?: string },
): ShapeQueries {
  if (shape === 'single-vm') return vmQueries(opts.gpu);
  if (!opts.cloudRunService) throw new Error('cloud-run: the service name is needed for its metrics');
  return cloudRunQueries(opts.cloudRunService);
}

/** The metric names a PromQL query reads (identifiers followed by a selector, a range or a bracket). */
export function metricNames(query: string): string[] {
  const names = new Set<string>();
  const KEYWORDS = new Set([
    'sum',
    'avg',
    'max',
    'min',
    'rate',
    'histogram_quantile',
    'by',
    'without',
    'count',
  ]);
  const withoutGrouping = query.replace(/\b(by|without)\s*\([^)]*\)/g, '');
  for (const m of withoutGrouping.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=[{[)])/g)) {
    const name = m[1] ?? '';
    if (!KEYWORDS.has(name)) names.add(name);
  }
  return [...names];
}

/** A Cloud Monitoring dashboard (its JSON form): one chart per panel, two columns. */
export function renderDashboard(displayName: string, panels: Panel[], notes: string): string {
  const width = 24;
  const height = 16;
  const tiles: { xPos: number; yPos: number; width: number; height: number; widget: object }[] = panels.map(
    (panel, i) => ({
      xPos: (i % 2) * width,
      yPos: Math.floor(i / 2) * height,
      width,
      height,
      widget: {
        title: panel.title,
        xyChart: {
          chartOptions: { mode: 'COLOR' },
          dataSets: panel.lines.map((line) => ({
            plotType: 'LINE',
            legendTemplate: line.legend,
            targetAxis: 'Y1',
            timeSeriesQuery: { prometheusQuery: line.query, ...(panel.unit && { unitOverride: panel.unit }) },
          })),
          yAxis: { scale: 'LINEAR', ...(panel.unit && { label: panel.unit }) },
        },
      },
    }),
  );
  tiles.push({
    xPos: 0,
    yPos: Math.ceil(panels.length / 2) * height,
    width: 2 * width,
    height: 8,
    widget: { title: 'How to read this', text: { content: notes, format: 'MARKDOWN' } },
  });
  return JSON.stringify({ displayName, mosaicLayout: { columns: 2 * width, tiles } });
}
