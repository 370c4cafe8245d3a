// The UI server's log: one JSON line per event on stdout, with the fields Cloud Logging reads from a line
// (`severity`, `message`, `time`, and `httpRequest` on lines about a request) — the same shape as the API's
// pino lines (app/api/src/logger.ts), so both services read alike in the Logs Explorer.

export type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

export interface LogEvent {
  message: string;
  /** INFO when left out. */
  severity?: Severity;
  [field: string]: unknown;
}

export type Log = (event: LogEvent) => void;

export function formatLine(event: LogEvent, now = new Date()): string {
  const { message, severity = 'INFO', ...fields } = event;
  return JSON.stringify({ severity, time: now.toISOString(), service: 'modelship-ui', message, ...fields });
}

export const writeLog: Log = (event) => {
  process.stdout.write(`${formatLine(event)}\n`);
};

/** Cloud Logging's HttpRequest for a request the UI answered itself (latency as a Duration, "1.234s"). */
export function httpRequest(method: string, url: string, status: number, ms: number) {
  return { requestMethod: method, requestUrl: url, status, latency: `${(ms / 1000).toFixed(3)}s` };
}
