// The variables both servers read (compose and `npm start` give them the same environment) must mean the same
// to both: a value one accepts and the other refuses leaves half the stack down, and a value read two ways
// makes the UI's early 413 disagree with the API's limit.
import { describe, expect, it } from 'vitest';
import { loadConfig as loadApiConfig } from '../../api/src/config.js';
import { serveHttp } from '../../api/src/http-server.js';
import { loadConfig as loadUiConfig } from '../server/config.js';

const host = { cores: 2, memoryLimitBytes: undefined };

/** Numbers as people mistype them: other bases, spaces, units, signs, specials, the bounds and past them. */
const NUMBERS = [
  ...['1', '5', '2.5', '.5', '5.', '+5', '1e1', '1E-3', '20', '600', '600.5', '3600', '3601', '1e6'],
  ...['0', '-1', '0x10', '0b1', '0o7', ' 5', '5 ', '5s', '5MB', 'Infinity', 'NaN', '1,5', '½', 'five'],
];
const FLAGS = [
  'true',
  'false',
  'TRUE',
  'False',
  '1',
  '0',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'maybe',
  ' true',
  '2',
];

/** What each server made of `env`: the shared settings, or that it refused them (with the variable named). */
function readBoth(env: NodeJS.ProcessEnv) {
  const read = (load: () => unknown) => {
    try {
      return { settings: load() };
    } catch (error) {
      return { refused: (error as Error).message };
    }
  };
  const api = read(() => {
    const c = loadApiConfig(env, host);
    return { host: c.host, bodyBytes: c.bodyLimitBytes, timeouts: c.httpTimeouts, trust: c.trustProxy };
  });
  const ui = read(() => {
    const c = loadUiConfig(env);
    return {
      host: c.host,
      bodyBytes: c.proxy.maxBodyBytes,
      timeouts: c.httpTimeouts,
      trust: c.proxy.trustForwarded,
    };
  });
  return { api, ui };
}

describe('the variables the API and the UI both read', () => {
  const numeric = ['BODY_LIMIT_MB', 'HEADERS_TIMEOUT', 'UPLOAD_TIMEOUT', 'KEEP_ALIVE_TIMEOUT'];

  it.each(numeric)('%s: both accept the same values, read the same way, and refuse the same ones', (name) => {
    let accepted = 0;
    for (const value of NUMBERS) {
      const { api, ui } = readBoth({ [name]: value });
      expect(ui, `${name}=${JSON.stringify(value)}`).toEqual(
        'refused' in api ? { refused: expect.stringContaining(`${name}=`) } : api,
      );
      if ('refused' in ui) expect(api, `${name}=${JSON.stringify(value)}`).toHaveProperty('refused');
      else accepted += 1;
    }
    // both sides of the rule were exercised
    expect(accepted).toBeGreaterThan(3);
    expect(accepted).toBeLessThan(NUMBERS.length - 10);
  });

  it('TRUST_PROXY: both read the same flags the same way, and refuse the same ones', () => {
    const trusted = FLAGS.filter((value) => {
      const { api, ui } = readBoth({ TRUST_PROXY: value });
      expect(ui, `TRUST_PROXY=${JSON.stringify(value)}`).toEqual(
        'refused' in api ? { refused: expect.stringContaining('TRUST_PROXY=') } : api,
      );
      return 'settings' in ui && (ui.settings as { trust: boolean }).trust;
    });
    expect(trusted).toEqual(['true', 'TRUE', '1', 'yes', 'on', 'y']);
  });

  it('an empty value is unset for both, and both have the same defaults', () => {
    const unset = readBoth({});
    expect(unset.api).toHaveProperty('settings');
    expect(unset.ui).toEqual(unset.api);
    const empty = Object.fromEntries([...numeric, 'TRUST_PROXY', 'HOST'].map((name) => [name, '']));
    expect(readBoth(empty)).toEqual(unset);
    const loopback = readBoth({ HOST: '127.0.0.1' });
    expect(loopback.api).toMatchObject({ settings: { host: '127.0.0.1' } });
    expect(loopback.ui).toEqual(loopback.api);
  });
});

describe('values a careless .env holds', () => {
  it('refuses a headers timeout longer than the upload timeout, in both servers, naming both variables', () => {
    const { api, ui } = readBoth({ HEADERS_TIMEOUT: '120' });
    expect(api).toEqual({
      refused: expect.stringMatching(/HEADERS_TIMEOUT=120 is longer than UPLOAD_TIMEOUT=60/),
    });
    expect(ui).toEqual(api);
    expect(readBoth({ HEADERS_TIMEOUT: '120', UPLOAD_TIMEOUT: '120' }).ui).toHaveProperty('settings');
  });

  it('serves with timeouts that are no whole number of milliseconds (Node refuses those itself)', async () => {
    const { httpTimeouts } = loadUiConfig({
      HEADERS_TIMEOUT: '1.001',
      UPLOAD_TIMEOUT: '1.003',
      KEEP_ALIVE_TIMEOUT: '1e-300',
    });
    const { server } = serveHttp({
      fetch: () => new Response('ok'),
      port: 0,
      hostname: '127.0.0.1',
      timeouts: httpTimeouts,
    });
    await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
    const { port } = server.address() as { port: number };
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses an API_URL with a user, password, query or fragment, never showing the password', () => {
    for (const url of [
      'http://u:secretpw@api:8000',
      'http://u@api:8000',
      'http://api:8000?x=1',
      'http://api:8000#f',
    ]) {
      const { refused } = readBoth({ API_URL: url }).ui as { refused?: string };
      expect(refused, url).toMatch(
        /API_URL=.*must be an http\(s\) URL with no user, password, query or #fragment/,
      );
      expect(refused, url).not.toContain('secretpw');
    }
    expect(loadUiConfig({ API_URL: 'https://api.example.com/base/' }).apiUrl).toBe(
      'https://api.example.com/base',
    );
  });

  it('shows a long bad value cut short, so that the reason still prints', () => {
    const { refused } = readBoth({ BODY_LIMIT_MB: 'x'.repeat(100_000) }).api as { refused: string };
    expect(refused.length).toBeLessThan(300);
    expect(refused).toMatch(/BODY_LIMIT_MB="x{80}…": must be a decimal number/);
  });

  it('refuses passwords no browser can type, and body limits that read as 0 MiB or none', () => {
    for (const auth of ['u:pw\nx', 'u:pw\u0000', 'u\t:pw'])
      expect(() => loadUiConfig({ BASIC_AUTH: auth }), JSON.stringify(auth)).toThrow(
        /BASIC_AUTH=\(not shown\)/,
      );
    expect(loadUiConfig({ BASIC_AUTH: 'u:pw\r\n\n' }).basicAuth).toEqual({ username: 'u', password: 'pw' });
    for (const limit of ['1e-9', '0.001', '1e308', '4096'])
      expect(readBoth({ BODY_LIMIT_MB: limit }).api, limit).toHaveProperty('refused');
  });
});
