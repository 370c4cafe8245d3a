// A multipart Content-Type is parsed by its grammar: RFC 2046 lets a quoted boundary hold spaces, and RFC 9110
// lets parameters come in any case, with others around them and whitespace between. curl (a real client, sending
// the exact header) gets its answer; a boundary that breaks the rules gets a 400 naming the header.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaTypeError, parseMediaType } from '../src/routes/media-type.js';
import { servedForSuite } from './helpers/api-runtime.js';

describe('parseMediaType', () => {
  it.each([
    ['multipart/form-data; boundary="abc def"', 'abc def'],
    ['Multipart/Form-Data; BOUNDARY="abc def"', 'abc def'],
    ['multipart/form-data;boundary=plain-token', 'plain-token'],
    ['multipart/form-data; charset=utf-8;\tboundary="a \\"b\\" \\\\c" ; x=1 ', 'a "b" \\c'],
    ['multipart/form-data;; boundary=x;', 'x'],
  ])('%s → boundary %j', (header, boundary) => {
    const parsed = parseMediaType(header);
    expect(parsed.type).toBe('multipart/form-data');
    expect(parsed.parameters.get('boundary')).toBe(boundary);
  });

  it.each([
    ['', /not a media type/],
    ['multipart', /not a media type/],
    ['multipart/form-data; boundary="abc', /without its closing quote: boundary="abc$/],
    ['multipart/form-data; boundary="abc\\"', /without its closing quote/],
    ['multipart/form-data; boundary = x', /malformed parameter at "boundary = x"/],
    ['multipart/form-data; boundary=a b', /malformed parameter at "b"|malformed parameter/],
    ['multipart/form-data boundary=x', /malformed parameter/],
    ['multipart/form-data; boundary=x; Boundary=y', /the parameter "boundary" twice/],
  ])('refuses %j', (header, message) => {
    expect(() => parseMediaType(header)).toThrow(MediaTypeError);
    expect(() => parseMediaType(header)).toThrow(message);
  });
});

const curl = promisify(execFile);
const suite = servedForSuite({ WORKERS: '1' });
let dir: string;
let text: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boundary-'));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="420" height="90"><rect width="100%" height="100%" fill="white"/><text x="20" y="60" font-family="DejaVu Sans" font-size="40" fill="black">SPACED OUT</text></svg>`;
  text = await sharp(Buffer.from(svg)).png().toBuffer();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const formBody = (boundary: string, image: Buffer) =>
  Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
    ),
    image,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);

/** curl POSTs the body with exactly this Content-Type; answers the status and the JSON. */
async function post(
  contentType: string,
  body: Buffer,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const file = join(dir, `body-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, body);
  const { stdout } = await curl('curl', [
    '-sS',
    '--max-time',
    '30',
    '-w',
    '\n%{http_code}',
    '-H',
    `Content-Type: ${contentType}`,
    '--data-binary',
    `@${file}`,
    `${suite.server.url}/v1/models/ocr/predict`,
  ]);
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), json: JSON.parse(stdout.slice(0, at)) };
}

const recognised = (json: Record<string, unknown>) =>
  (json.detections as { text: string }[]).map((d) => d.text).join(' ');

describe('a real client posting an image with any boundary RFC 2046 allows', () => {
  it.each([
    ['a quoted boundary with spaces', 'abc def', 'multipart/form-data; boundary="abc def"'],
    [
      'upper-case names, another parameter, whitespace',
      "it's (a) boundary: +_,-./=?",
      `Multipart/Form-Data ;\tcharset=UTF-8 ; BOUNDARY="it's (a) boundary: +_,-./=?" `,
    ],
    ['a quoted boundary with escapes', 'x y', 'multipart/form-data; boundary="x\\ y"'],
    [
      'the longest boundary (70)',
      `${'b '.repeat(34)}bb`,
      `multipart/form-data; boundary="${'b '.repeat(34)}bb"`,
    ],
    ['a plain token, as before', 'plain-token', 'multipart/form-data; boundary=plain-token'],
  ])('%s: predicted', async (_, boundary, contentType) => {
    const { status, json } = await post(contentType, formBody(boundary, text));
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json.model).toBe('ocr');
    expect(recognised(json)).toMatch(/SPACED\s*OUT/);
  });
});

describe('a boundary that breaks the rules: 400 naming the Content-Type, and the server keeps serving', () => {
  it.each([
    ['empty', 'multipart/form-data; boundary=""', /boundary "" is not 1 to 70/],
    ['an unterminated quote', 'multipart/form-data; boundary="abc def', /without its closing quote/],
    ['71 characters', `multipart/form-data; boundary="${'b'.repeat(71)}"`, /is not 1 to 70/],
    ['ending in a space', 'multipart/form-data; boundary="abc "', /not ending in a space/],
    ['a character RFC 2046 does not allow', 'multipart/form-data; boundary="a@b"', /boundary "a@b" is not/],
    ['missing', 'multipart/form-data; charset=utf-8', /needs a boundary parameter/],
    ['a space around =', 'multipart/form-data; boundary = abc', /malformed parameter/],
  ])('%s', async (_, contentType, detail) => {
    const { status, json } = await post(contentType, formBody('abc def', text));
    expect(status, JSON.stringify(json)).toBe(400);
    expect(json).toMatchObject({ error: 'invalid_body', field: 'content-type' });
    expect(json.detail).toMatch(detail);
    expect((await fetch(`${suite.server.url}/health`)).status).toBe(200);
  });

  it('a body whose delimiters are not the declared boundary: 400 invalid_body', async () => {
    const { status, json } = await post('multipart/form-data; boundary="abc def"', formBody('other', text));
    expect(status, JSON.stringify(json)).toBe(400);
    expect(json).toMatchObject({ error: 'invalid_body' });
  });
});
