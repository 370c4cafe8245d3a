import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  audienceOf,
  checkImageFile,
  describeHttpError,
  describeNetworkError,
  sniffImageType,
} from '../web/src/errors.js';

describe('describeHttpError', () => {
  it('says the API is down for the proxy 502 and 504', () => {
    for (const status of [502, 504]) {
      expect(describeHttpError(status, { error: 'api_unreachable', detail: 'ECONNREFUSED' }).title).toMatch(
        /not reachable/,
      );
    }
  });

  it("says the API took too long for its own 504 (deadline_exceeded), and passes on the API's detail", () => {
    const slow = describeHttpError(504, {
      error: 'deadline_exceeded',
      detail: 'the request took longer than 30 s',
    });
    expect(slow.title).toMatch(/took too long/);
    expect(slow.hint).toBe('the request took longer than 30 s');
    expect(describeHttpError(504, { error: 'api_timeout', detail: 'no answer' }).title).toMatch(
      /not reachable/,
    );
    expect(describeHttpError(504, undefined).title).toMatch(/not reachable/);
  });

  it('tells the owner (page on localhost) to run npm start, and a visitor of a shared URL to wait', () => {
    expect(audienceOf('localhost')).toBe('owner');
    expect(audienceOf('127.0.0.1')).toBe('owner');
    expect(audienceOf('34-1-2-3.sslip.io')).toBe('visitor');
    const down = { error: 'api_unreachable', detail: 'ECONNREFUSED' };
    expect(describeHttpError(502, down, 'ocr', 'owner').hint).toContain('npm start');
    expect(describeHttpError(502, down, 'ocr', 'visitor').hint).not.toContain('npm start');
    expect(describeHttpError(502, down, 'ocr', 'visitor').hint).toContain('person who shared');
    expect(describeNetworkError('visitor').hint).not.toContain('npm start');
  });

  it('tells "not ready yet" apart from "busy"', () => {
    expect(
      describeHttpError(503, { error: 'not_ready', detail: 'the models are still loading' }).title,
    ).toMatch(/not ready/);
    expect(describeHttpError(503, { error: 'queue_full', detail: 'the server is busy' }).title).toMatch(
      /busy/,
    );
  });

  it('names the unknown model and passes on the list of models from the API', () => {
    const p = describeHttpError(
      404,
      { error: 'model_not_found', detail: 'unknown model "nope"; available: ocr' },
      'nope',
    );
    expect(p.title).toContain('“nope”');
    expect(p.hint).toContain('available: ocr');
  });

  it('explains too large, not an image, and unreadable images in plain words', () => {
    expect(describeHttpError(413, { error: 'payload_too_large' }).title).toBe('This image is too large.');
    expect(describeHttpError(415, { error: 'unsupported_media_type' }).title).toMatch(/not an image/);
    expect(describeHttpError(400, { error: 'invalid_image', detail: 'truncated PNG' })).toEqual({
      title: 'The server could not read this image.',
      hint: 'truncated PNG',
    });
  });

  it('copes with bodies that are missing or not the API shape', () => {
    expect(describeHttpError(500, undefined).title).toContain('HTTP 500');
    expect(describeHttpError(422, { detail: [{ path: ['image'] }] }).hint).toContain('image');
  });

  it('has a message for a page that lost its own server', () => {
    expect(describeNetworkError().title).toMatch(/cannot reach/);
  });
});

describe('checkImageFile', () => {
  it('accepts PNG, JPEG and WebP', () => {
    for (const type of ['image/png', 'image/jpeg', 'image/webp']) {
      expect(checkImageFile({ name: 'x', type, size: 10 })).toBeUndefined();
    }
  });

  it('refuses what is not an image, or an image type the API cannot decode, or an empty file', () => {
    expect(checkImageFile({ name: 'notes.pdf', type: 'application/pdf', size: 10 })?.title).toBe(
      '“notes.pdf” is not an image.',
    );
    expect(checkImageFile({ name: 'x', type: '', size: 10 })?.title).toMatch(/not an image/);
    expect(checkImageFile({ name: 'IMG_1.heic', type: 'image/heic', size: 10 })?.title).toMatch(/HEIC/);
    expect(checkImageFile({ name: 'a.png', type: 'image/png', size: 0 })?.title).toMatch(/empty/);
  });
});

describe('sniffImageType', () => {
  it('types PNG, JPEG and WebP by their first bytes, and nothing else', async () => {
    const image = sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } });
    const head = async (bytes: Promise<Buffer>) => new Uint8Array((await bytes).subarray(0, 12));
    expect(sniffImageType(await head(image.clone().png().toBuffer()))).toBe('image/png');
    expect(sniffImageType(await head(image.clone().jpeg().toBuffer()))).toBe('image/jpeg');
    expect(sniffImageType(await head(image.clone().webp().toBuffer()))).toBe('image/webp');
    expect(sniffImageType(await head(image.clone().gif().toBuffer()))).toBeUndefined();
    expect(sniffImageType(new TextEncoder().encode('%PDF-1.7'))).toBeUndefined();
    expect(sniffImageType(new Uint8Array())).toBeUndefined();
  });
});
