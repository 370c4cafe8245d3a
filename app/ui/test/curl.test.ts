import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildCurl, predictUrl, shellQuote } from '../web/src/curl.js';

/** What a POSIX shell makes of a quoted word: the real test of the quoting. */
function shellArgs(command: string): string[] {
  const out = execFileSync('sh', ['-c', `for a in ${command}; do printf '%s\\0' "$a"; done`], {
    encoding: 'utf8',
  });
  return out.split('\0').slice(0, -1);
}

describe('shellQuote', () => {
  it.each([
    'plain',
    'two words.png',
    "it's mine.jpg",
    '$(rm -rf ~) `x` ; & | > < * ? [a] ~ # "q"',
    "''",
    'ünïcødé 图片.png',
    '',
  ])('a POSIX shell reads %j back unchanged', (value) => {
    expect(shellArgs(shellQuote(value))).toEqual([value]);
  });
});

describe('predictUrl', () => {
  it('targets the v1 endpoint through the UI origin, escaping the model name', () => {
    expect(predictUrl('https://ocr.example.org', 'ocr', 0.5)).toBe(
      'https://ocr.example.org/api/v1/models/ocr/predict?confidence=0.5',
    );
    expect(predictUrl('http://localhost:8501', 'my model/v2')).toBe(
      'http://localhost:8501/api/v1/models/my%20model%2Fv2/predict',
    );
  });
});

describe('buildCurl', () => {
  const command = buildCurl({
    origin: 'http://localhost:8501',
    model: 'ocr',
    fileName: "my photo's.jpg",
    contentType: 'image/jpeg',
    confidence: 0.35,
  });

  it('sends the raw image bytes with their type to the v1 endpoint', () => {
    expect(command).toBe(
      [
        "curl -sS -X POST 'http://localhost:8501/api/v1/models/ocr/predict?confidence=0.35' \\",
        "  -H 'Content-Type: image/jpeg' \\",
        `  --data-binary @'my photo'\\''s.jpg'`,
      ].join('\n'),
    );
  });

  it('is one command for the shell, with the arguments curl expects', () => {
    const args = execFileSync('sh', ['-c', `set -- ${command.replace(/^curl /, '')}; printf '%s\\0' "$@"`], {
      encoding: 'utf8',
    })
      .split('\0')
      .slice(0, -1);
    expect(args).toEqual([
      '-sS',
      '-X',
      'POST',
      'http://localhost:8501/api/v1/models/ocr/predict?confidence=0.35',
      '-H',
      'Content-Type: image/jpeg',
      '--data-binary',
      "@my photo's.jpg",
    ]);
  });
});
