// JSON lines on stdout, shaped for Cloud Logging: Cloud Run's agent and the VM's Ops Agent read `severity`,
// `message`, `time`, `httpRequest` and `logging.googleapis.com/trace` from each line
// (https://cloud.google.com/logging/docs/structured-logging), so the Logs Explorer shows levels, request
// lines and trace links without any parsing rule of ours.
import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';

/** pino level → Cloud Logging LogSeverity. */
export const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export function createLogger(level: LevelWithSilent | string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'modelship-api' },
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label, number) => ({ severity: SEVERITY[label] ?? 'DEFAULT', level: number }),
      },
    },
    destination,
  );
}

/** What the request log line is built from: the request and the answer, never a body. */
export interface RequestFacts {
  method: string;
  /** Path only: a query string may carry things that do not belong in logs. */
  path: string;
  status: number;
  seconds: number;
  headers: { get(name: string): string | null | undefined };
  /** Response Content-Length, when known. */
  responseSize?: string | null;
  /** The peer's address (the proxy's, behind one). */
  socketIp?: string;
  /**
   * Believe the client address in X-Forwarded-For (TRUST_PROXY): only where every request comes through a
   * proxy that sets that header itself (the UI, Caddy). Otherwise anybody can write any address in it.
   */
  trustForwarded?: boolean;
}

/** Cloud Logging's HttpRequest object (its JSON field names; latency is a protobuf Duration, "0.123s"). */
export function httpRequest(facts: RequestFacts): Record<string, string | number> {
  const forwarded = facts.trustForwarded
    ? facts.headers.get('x-forwarded-for')?.split(',')[0]?.trim()
    : undefined;
  const fields: Record<string, string | number | undefined> = {
    requestMethod: facts.method,
    requestUrl: facts.path,
    status: facts.status,
    latency: `${facts.seconds.toFixed(3)}s`,
    responseSize: facts.responseSize ?? undefined,
    userAgent: facts.headers.get('user-agent') ?? undefined,
    remoteIp: forwarded || facts.socketIp,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== '')) as Record<
    string,
    string | number
  >;
}

const CLOUD_TRACE = /^([0-9a-f]{32})(?:\/(\d+))?(?:;o=([01]))?$/i;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/i;

/**
 * The trace fields of a request, from `X-Cloud-Trace-Context: TRACE/SPAN;o=1` (Google's front ends) or W3C
 * `traceparent: 00-TRACE-SPAN-FLAGS`. The trace is `projects/P/traces/ID` when the project is known, so that
 * the Logs Explorer links the line to its trace and groups the lines of one request.
 */
export function traceFields(
  headers: RequestFacts['headers'],
  project: string | undefined,
): Record<string, string | boolean> {
  let trace: string | undefined;
  let span: string | undefined;
  let sampled: boolean | undefined;
  const cloud = CLOUD_TRACE.exec(headers.get('x-cloud-trace-context')?.trim() ?? '');
  const w3c = TRACEPARENT.exec(headers.get('traceparent')?.trim() ?? '');
  if (cloud?.[1]) {
    trace = cloud[1];
    // The Cloud header's span is decimal; LogEntry.spanId is 16 hex digits.
    if (cloud[2]) span = BigInt(cloud[2]).toString(16).padStart(16, '0').slice(-16);
    if (cloud[3]) sampled = cloud[3] === '1';
  } else if (w3c?.[1] && !/^0+$/.test(w3c[1])) {
    trace = w3c[1];
    span = w3c[2];
    sampled = (Number.parseInt(w3c[3] ?? '0', 16) & 1) === 1;
  }
  if (!trace) return {};
  const fields: Record<string, string | boolean> = {
    'logging.googleapis.com/trace': project ? `projects/${project}/traces/${trace.toLowerCase()}` : trace,
  };
  if (span) fields['logging.googleapis.com/spanId'] = span.toLowerCase();
  if (sampled !== undefined) fields['logging.googleapis.com/trace_sampled'] = sampled;
  return fields;
}

/** The fields of one request line: `httpRequest` plus the trace, for `logger.info(fields, message)`. */
export function requestLogFields(facts: RequestFacts, project?: string): Record<string, unknown> {
  return { httpRequest: httpRequest(facts), ...traceFields(facts.headers, project) };
}
