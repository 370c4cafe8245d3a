// The log lines of the real server process, parsed as Cloud Logging reads them: severity, message, time,
// httpRequest (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#HttpRequest) and the trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { requestLogFields, SEVERITY, traceFields } from '../src/logger.js';
import { startServer, stopServers } from './helpers/api-process.js';

const LOG_SEVERITIES = [
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
];
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

type Server = Awaited<ReturnType<typeof startServer>>;
// `server` runs behind a proxy it trusts (TRUST_PROXY, as compose sets it); `direct` has the default.
let server: Server;
let direct: Server;
beforeAll(async () => {
  [server, direct] = await Promise.all([
    startServer({ GOOGLE_CLOUD_PROJECT: 'my-project-123', TRUST_PROXY: 'true' }),
    startServer({}),
  ]);
}, 120_000);
afterAll(stopServers);

/** Waits for the request line of `path` (the line is written after the response). */
async function lineFor(path: string, from: number, on = server): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const line = on.lines
      .slice(from)
      .find((l) => (l.httpRequest as Record<string, unknown> | undefined)?.requestUrl === path);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no request line for ${path}`);
}

describe('log lines for Cloud Logging (real server output)', () => {
  it('every line has a LogSeverity, a message and an RFC 3339 time', () => {
    expect(server.lines.length).toBeGreaterThan(1);
    for (const line of server.lines) {
      expect(LOG_SEVERITIES).toContain(line.severity);
      expect(typeof line.message).toBe('string');
      expect(new Date(String(line.time)).toISOString()).toBe(line.time);
    }
    expect(server.lines.find((l) => String(l.message).startsWith('listening'))?.severity).toBe('INFO');
  });

  it('a request line carries httpRequest (the client address from a trusted proxy) and the X-Cloud-Trace-Context trace, with the project', async () => {
    const from = server.lines.length;
    const res = await fetch(`${server.url}/v1/models?secret=1`, {
      headers: {
        'User-Agent': 'curl/8.5.0',
        'X-Cloud-Trace-Context': `${TRACE}/1234567890123;o=1`,
        'X-Forwarded-For': '203.0.113.7, 10.0.0.2',
      },
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const line = await lineFor('/v1/models', from);
    expect(line).toMatchObject({
      severity: 'INFO',
      message: 'GET /v1/models 200',
      httpRequest: {
        requestMethod: 'GET',
        requestUrl: '/v1/models',
        status: 200,
        userAgent: 'curl/8.5.0',
        remoteIp: '203.0.113.7',
      },
      'logging.googleapis.com/trace': `projects/my-project-123/traces/${TRACE}`,
      'logging.googleapis.com/spanId': (1234567890123).toString(16).padStart(16, '0'),
      'logging.googleapis.com/trace_sampled': true,
    });
    const httpRequest = line.httpRequest as Record<string, string>;
    expect(httpRequest.latency).toMatch(/^\d+\.\d{3}s$/);
    expect(JSON.stringify(line)).not.toContain('secret');
  });

  it('a traceparent header is logged as the trace; a 404 is INFO, without a peer address it falls back to the socket', async () => {
    const from = server.lines.length;
    await fetch(`${server.url}/nope`, { headers: { traceparent: `00-${TRACE}-00f067aa0ba902b7-00` } });
    const line = await lineFor('/nope', from);
    expect(line).toMatchObject({
      severity: 'INFO',
      httpRequest: { status: 404, remoteIp: '127.0.0.1' },
      'logging.googleapis.com/trace': `projects/my-project-123/traces/${TRACE}`,
      'logging.googleapis.com/spanId': '00f067aa0ba902b7',
      'logging.googleapis.com/trace_sampled': false,
    });
  });
});

describe('the logged client address', () => {
  it('without TRUST_PROXY, a client cannot forge it: X-Forwarded-For is ignored, the socket address is logged', async () => {
    const from = direct.lines.length;
    const res = await fetch(`${direct.url}/v1/models`, { headers: { 'X-Forwarded-For': '198.51.100.66' } });
    await res.arrayBuffer();
    const line = await lineFor('/v1/models', from, direct);
    expect(line).toMatchObject({ httpRequest: { status: 200, remoteIp: '127.0.0.1' } });
    expect(JSON.stringify(line)).not.toContain('198.51.100.66');
  });

  it('TRUST_PROXY accepts true/false only as a flag, and is off by default', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(() => loadConfig({ TRUST_PROXY: 'maybe' })).toThrow(/TRUST_PROXY="maybe"/);
  });
});

describe('trace and request fields', () => {
  const headers = (h: Record<string, string>) => new Headers(h);

  it('maps every pino level to a LogSeverity', () => {
    for (const severity of Object.values(SEVERITY)) expect(LOG_SEVERITIES).toContain(severity);
    expect(Object.keys(SEVERITY).sort()).toEqual(['debug', 'error', 'fatal', 'info', 'trace', 'warn']);
  });

  it('without a project the trace is the bare ID; malformed headers add nothing', () => {
    expect(traceFields(headers({ 'x-cloud-trace-context': TRACE }), undefined)).toEqual({
      'logging.googleapis.com/trace': TRACE,
    });
    for (const bad of ['', 'abc/1', `${TRACE}x`, `${TRACE}/12;o=9`]) {
      expect(traceFields(headers({ 'x-cloud-trace-context': bad }), 'p')).toEqual({});
    }
    expect(traceFields(headers({ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }), 'p')).toEqual(
      {},
    );
    expect(traceFields(headers({ traceparent: 'garbage' }), 'p')).toEqual({});
  });

  it('the Cloud header wins over traceparent when both are present', () => {
    const other = 'a'.repeat(32);
    const fields = traceFields(
      headers({ 'x-cloud-trace-context': `${TRACE}/1`, traceparent: `00-${other}-00f067aa0ba902b7-01` }),
      undefined,
    );
    expect(fields['logging.googleapis.com/trace']).toBe(TRACE);
  });

  it('takes the declared response size; omits what it does not know', () => {
    expect(
      requestLogFields({
        method: 'GET',
        path: '/',
        status: 200,
        seconds: 0,
        headers: headers({}),
        responseSize: '42',
      }).httpRequest,
    ).toMatchObject({ responseSize: '42', latency: '0.000s' });
    const fields = requestLogFields({
      method: 'POST',
      path: '/x',
      status: 500,
      seconds: 1.23456,
      headers: headers({}),
    });
    expect(fields).toEqual({
      httpRequest: { requestMethod: 'POST', requestUrl: '/x', status: 500, latency: '1.235s' },
    });
  });
});
