// The benchmark's inputs: the shared known-text fixtures (test/fixtures/text-images.ts), from one word to a
// full page, plus the photo-like sample sent as its JPEG, as a phone photo would be.
import { type TextFixtureName, textFixture, textFixtureNames } from '../../test/fixtures/text-images.js';
import { normalizeText } from './cer.js';
import type { InputInfo } from './results.js';

export interface BenchInput {
  id: TextFixtureName;
  description: string;
  /** The encoded image both engines receive. */
  bytes: Buffer;
  mime: 'image/png' | 'image/jpeg';
  reference: string;
  width: number;
  height: number;
}

const DESCRIPTIONS: Record<TextFixtureName, string> = {
  word: 'one word',
  line: 'one line',
  paragraph: 'paragraph',
  page: 'full page',
  photo: 'photo-like (gradient, texture, noise, slight rotation), JPEG',
};

export async function loadInputs(): Promise<BenchInput[]> {
  return Promise.all(
    textFixtureNames.map(async (name) => {
      const fixture = await textFixture(name);
      const jpeg = fixture.jpeg;
      return {
        id: name,
        description: `${DESCRIPTIONS[name]}, ${fixture.lines.length} line${fixture.lines.length === 1 ? '' : 's'}`,
        bytes: jpeg ?? fixture.png,
        mime: jpeg ? ('image/jpeg' as const) : ('image/png' as const),
        reference: fixture.lines.join('\n'),
        width: fixture.width,
        height: fixture.height,
      };
    }),
  );
}

export function describeInput(input: BenchInput): InputInfo {
  return {
    id: input.id,
    description: input.description,
    width: input.width,
    height: input.height,
    bytes: input.bytes.length,
    characters: normalizeText(input.reference).length,
  };
}

/** The legacy JSON body: `{model, image: base64}`. */
export function predictBody(input: Pick<BenchInput, 'bytes'>, model = 'ocr'): string {
  return JSON.stringify({ model, image: input.bytes.toString('base64') });
}
