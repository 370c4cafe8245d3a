// A seeded evaluation set for OCR: text images rendered by ImageMagick from Debian's font packages, with the
// rendered text as the truth. Two splits: `tune` (for adjusting the pipeline) and `eval` (the headline figures),
// drawn with different seeds, and some font families only in `eval`. Same split, same bytes, every run.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { seededRandom } from '../../../test/helpers/seeded-random.js';

const run = promisify(execFile);

export type Split = 'tune' | 'eval';
export const IMAGE_CLASSES = ['tiny', 'noisy', 'multi-line', 'rotated', 'page', 'chinese'] as const;
export type ImageClass = (typeof IMAGE_CLASSES)[number];

export interface EvalImage {
  id: string;
  split: Split;
  imageClass: ImageClass;
  /** Font file name (without directory), for the per-font view. */
  font: string;
  /** One entry per rendered line, top to bottom. */
  lines: string[];
  bytes: Buffer;
  mime: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

interface Font {
  file: string;
  /** Debian package that ships it (listed in the README and installed by .ci/run). */
  pkg: string;
  kind: 'sans' | 'serif' | 'mono' | 'condensed' | 'cjk';
}

const D = '/usr/share/fonts/truetype/dejavu/';
const L = '/usr/share/fonts/truetype/liberation/';
const U = '/usr/share/fonts/opentype/urw-base35/';
const F = '/usr/share/fonts/truetype/freefont/';
const N = '/usr/share/fonts/truetype/noto/';
const C = '/usr/share/fonts/opentype/noto/';

/** In both splits. */
const SHARED_FONTS: Font[] = [
  { file: `${D}DejaVuSans.ttf`, pkg: 'fonts-dejavu-core', kind: 'sans' },
  { file: `${D}DejaVuSerif.ttf`, pkg: 'fonts-dejavu-core', kind: 'serif' },
  { file: `${D}DejaVuSansMono.ttf`, pkg: 'fonts-dejavu-core', kind: 'mono' },
  { file: `${L}LiberationSans-Bold.ttf`, pkg: 'fonts-liberation', kind: 'sans' },
  { file: `${L}LiberationSerif-Italic.ttf`, pkg: 'fonts-liberation', kind: 'serif' },
  { file: `${L}LiberationMono-Regular.ttf`, pkg: 'fonts-liberation', kind: 'mono' },
  { file: `${L}LiberationSansNarrow-Regular.ttf`, pkg: 'fonts-liberation', kind: 'condensed' },
  { file: `${N}NotoSans-Regular.ttf`, pkg: 'fonts-noto-core', kind: 'sans' },
  { file: `${C}NotoSansCJK-Regular.ttc`, pkg: 'fonts-noto-cjk', kind: 'cjk' },
];

/** Only in the evaluation split: families the pipeline was never adjusted on. */
const EVAL_ONLY_FONTS: Font[] = [
  { file: `${U}NimbusMonoPS-Regular.otf`, pkg: 'fonts-urw-base35', kind: 'mono' },
  { file: `${U}C059-Roman.otf`, pkg: 'fonts-urw-base35', kind: 'serif' },
  { file: `${U}URWBookman-Light.otf`, pkg: 'fonts-urw-base35', kind: 'serif' },
  { file: `${U}NimbusSansNarrow-Bold.otf`, pkg: 'fonts-urw-base35', kind: 'condensed' },
  { file: `${U}P052-Italic.otf`, pkg: 'fonts-urw-base35', kind: 'serif' },
  { file: `${F}FreeSans.ttf`, pkg: 'fonts-freefont-ttf', kind: 'sans' },
  { file: `${F}FreeMono.ttf`, pkg: 'fonts-freefont-ttf', kind: 'mono' },
  { file: `${N}NotoSerif-Bold.ttf`, pkg: 'fonts-noto-core', kind: 'serif' },
  { file: `${D}DejaVuSansCondensed-Oblique.ttf`, pkg: 'fonts-dejavu-core', kind: 'condensed' },
  { file: `${C}NotoSerifCJK-Regular.ttc`, pkg: 'fonts-noto-cjk', kind: 'cjk' },
];

/** Debian packages the generator's fonts come from. */
export const FONT_PACKAGES = [...new Set([...SHARED_FONTS, ...EVAL_ONLY_FONTS].map((f) => f.pkg))].sort();

const fontsFor = (split: Split) => (split === 'eval' ? [...SHARED_FONTS, ...EVAL_ONLY_FONTS] : SHARED_FONTS);

// Vocabulary: everyday words, many with doubled letters; no "%" or "\" (ImageMagick escapes), and no capital
// "I" or lone "l"/"1"/"0"/"O" tokens, whose glyphs are the same in many sans fonts (no reader can tell them apart).
const WORDS = (
  'committee balloon coffee speed keep off the grass river bridge station ticket office opening hours ' +
  'address success bookkeeper tomorrow summer winter apple letter happy street market garden kitchen ' +
  'library museum parking entrance exit platform delivery invoice payment receipt total due price ' +
  'discount free fresh bread butter cheese dinner lunch breakfast room floor building north south east ' +
  'west please wait here closed open daily weekend holiday account number order customer service ' +
  'support team meeting agenda minutes deploy model server request answer yellow green purple orange ' +
  'shipping warehouse battery puzzle pepper cabbage mirror carrot bottle little middle assessment ' +
  'accommodation occasion necessary different between whatever goodbye village traffic afternoon'
).split(' ');
const CAPITALISED = (
  'Committee Balloon Coffee Speed Mississippi Tennessee Harbour Station Market Total Keep Open Closed ' +
  'Deploy Please Welcome Summer Monday Tuesday Friday Saturday Sunday Berlin Paris Madrid Toronto ' +
  'Dallas Seattle Boston Warsaw Ottawa Geneva Manchester Street Avenue Room Batch Order Invoice'
).split(' ');
const CJK_LINES = [
  '出口',
  '入口',
  '安全出口',
  '禁止吸烟',
  '欢迎光临',
  '营业时间',
  '请勿停车',
  '洗手间',
  '会议室',
  '小心地滑',
  '停车场',
  '北京欢迎你',
  '今天天气很好',
  '中国人民银行',
  '火车站售票处',
  '请保持安静',
  '电话号码',
  '地铁站',
];

type Rng = () => number;

const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const chance = (r: Rng, p: number) => r() < p;

/** A token: a word, or a number, price, date, time, e-mail address or phone number. */
function token(r: Rng): string {
  const x = r();
  if (x < 0.5) return pick(r, WORDS);
  if (x < 0.68) return pick(r, CAPITALISED);
  if (x < 0.74) return `$${int(r, 2, 999)}.${String(int(r, 0, 99)).padStart(2, '0')}`;
  if (x < 0.8) return `${int(r, 1, 28)}/${String(int(r, 1, 12)).padStart(2, '0')}/${int(r, 2019, 2031)}`;
  if (x < 0.85) return `${int(r, 6, 23)}:${pick(r, ['00', '15', '30', '45'])}`;
  if (x < 0.9) return `${pick(r, WORDS)}.${pick(r, WORDS)}@example.${pick(r, ['com', 'org', 'net'])}`;
  if (x < 0.95) return `555-${String(int(r, 100, 9999)).padStart(4, '0')}`;
  return String(int(r, 2, 99999));
}

function line(r: Rng, minWords: number, maxWords: number): string {
  const n = int(r, minWords, maxWords);
  const words = Array.from({ length: n }, () => token(r));
  let text = words.join(' ');
  if (chance(r, 0.3)) text += pick(r, ['.', ',', ':', '!', '?', ';']);
  if (chance(r, 0.1)) text = `(${text})`;
  return text[0]?.toUpperCase() + text.slice(1);
}

interface Colours {
  /** ImageMagick background image expression, e.g. `xc:#fff` or `gradient:#a-#b`. */
  background: string[];
  fill: string;
}

const tint = (r: Rng, v: number) => {
  const c = [0, 1, 2].map(() => Math.max(0, Math.min(255, Math.round(v + (r() - 0.5) * 40))));
  return `#${c.map((x) => x.toString(16).padStart(2, '0')).join('')}`;
};

function colours(r: Rng, noisy: boolean): Colours {
  const dark = chance(r, 0.25);
  // Low contrast only among the "noisy" class: a difference of 70-110 grey levels instead of 150-230.
  const contrast = noisy && chance(r, 0.35) ? int(r, 70, 110) : int(r, 150, 230);
  const bg = dark ? int(r, 10, 60) : int(r, 200, 255);
  const fg = dark ? bg + contrast : bg - contrast;
  const style = noisy
    ? pick(r, ['solid', 'gradient', 'texture'] as const)
    : pick(r, ['solid', 'solid', 'gradient'] as const);
  const c1 = tint(r, bg);
  const c2 = tint(r, dark ? bg + 25 : bg - 25);
  const background =
    style === 'solid'
      ? [`xc:${c1}`]
      : style === 'gradient'
        ? [`gradient:${c1}-${c2}`]
        : // Soft paper-like texture: plasma, blurred, kept within the background's brightness range.
          [`plasma:${c1}-${c2}`, '-blur', '0x3'];
  return { background, fill: tint(r, fg) };
}

export interface Spec {
  id: string;
  imageClass: ImageClass;
  font: Font;
  lines: string[];
  pointSize: number;
  /** Extra pixels between words (monospace gaps and wide tracking). */
  wordSpacing: number;
  lineSpacing: number;
  /** Canvas size and where the text block is centred. */
  margin: [number, number];
  minCanvas: [number, number];
  colours: Colours;
  angle: number;
  /** Corner shifts for a photo-like perspective, as fractions of the canvas. */
  perspective?: number[];
  blur: number;
  gaussian: number;
  impulse: number;
  jpegQuality?: number;
  seed: number;
}

export const SPLIT_SEEDS: Record<Split, number> = { tune: 20261201, eval: 1918 };

/** Further tuning seeds: more images of a class than the tuning split holds, never the evaluation split's. */
export function tuningSeed(extra: number): number {
  const seed = SPLIT_SEEDS.tune + extra;
  if (extra < 0 || !Number.isInteger(extra) || seed === SPLIT_SEEDS.eval) {
    throw new Error(`tuning seed offset ${extra}: a non-negative integer, not the evaluation seed`);
  }
  return seed;
}

/** The parameters of image `index` of a split (exported for tests: what the set covers, without rendering it). */
export function specFor(split: Split, index: number, seed = SPLIT_SEEDS[split]): Spec {
  const r = seededRandom(seed * 7919 + index);
  const imageClass = IMAGE_CLASSES[index % IMAGE_CLASSES.length] as ImageClass;
  const fonts = fontsFor(split);
  const latin = fonts.filter((f) => f.kind !== 'cjk');
  const font =
    imageClass === 'chinese'
      ? pick(
          r,
          fonts.filter((f) => f.kind === 'cjk'),
        )
      : pick(r, latin);
  const mono = font.kind === 'mono';
  const noisy = imageClass === 'noisy';
  let lines: string[];
  let pointSize: number;
  let margin: [number, number] = [int(r, 10, 60), int(r, 10, 50)];
  let minCanvas: [number, number] = [0, 0];
  switch (imageClass) {
    case 'tiny':
      lines = [line(r, 1, 2)];
      pointSize = int(r, 14, 22);
      margin = [int(r, 4, 14), int(r, 4, 12)];
      break;
    case 'multi-line':
      lines = Array.from({ length: int(r, 2, 6) }, () => line(r, 2, 6));
      pointSize = int(r, 18, 48);
      break;
    case 'page':
      lines = Array.from({ length: int(r, 4, 6) }, () => line(r, 3, 7));
      if (chance(r, 0.35)) {
        // Over 3000 px wide: a phone photo at full resolution.
        pointSize = int(r, 40, 72);
        minCanvas = [int(r, 3000, 4000), int(r, 1500, 2600)];
      } else {
        // A scanned page: small type with wide margins.
        pointSize = int(r, 16, 32);
        margin = [int(r, 60, 200), int(r, 60, 200)];
      }
      break;
    case 'chinese':
      lines = Array.from({ length: int(r, 1, 3) }, () => pick(r, CJK_LINES));
      pointSize = int(r, 24, 72);
      break;
    default:
      lines = Array.from({ length: int(r, 1, 3) }, () => line(r, 1, 5));
      pointSize = int(r, 18, 60);
  }
  const wordSpacing = mono || chance(r, 0.15) ? Math.round(pointSize * (0.3 + r() * 0.9)) : 0;
  const angle = imageClass === 'rotated' ? (r() * 2 - 1) * 6 : chance(r, 0.3) ? (r() * 2 - 1) * 2 : 0;
  const perspective =
    imageClass === 'rotated' && chance(r, 0.6)
      ? Array.from({ length: 8 }, () => (r() * 2 - 1) * 0.04)
      : undefined;
  const prefix = seed === SPLIT_SEEDS[split] ? split : `${split}${seed - SPLIT_SEEDS[split]}`;
  return {
    id: `${prefix}-${String(index).padStart(3, '0')}-${imageClass}`,
    imageClass,
    font,
    lines,
    pointSize,
    wordSpacing,
    lineSpacing: Math.round(pointSize * (0.1 + r() * 0.6)),
    margin,
    minCanvas,
    colours: colours(r, noisy),
    angle,
    ...(perspective ? { perspective } : {}),
    blur: noisy ? (chance(r, 0.6) ? 0.5 + r() * 1.2 : 0) : chance(r, 0.15) ? 0.5 + r() * 0.5 : 0,
    gaussian: noisy && chance(r, 0.6) ? 0.3 + r() * 0.9 : 0,
    impulse: noisy && chance(r, 0.4) ? 0.02 + r() * 0.08 : 0,
    ...(noisy || imageClass === 'rotated' || chance(r, 0.4) ? { jpegQuality: int(r, 50, 95) } : {}),
    seed: int(r, 1, 1_000_000),
  };
}

async function textSize(spec: Spec): Promise<[number, number]> {
  const { stdout } = await run('convert', [...labelArgs(spec), '-format', '%w %h', 'info:']);
  const [w, h] = stdout.trim().split(' ').map(Number) as [number, number];
  return [w, h];
}

/**
 * The text block as one transparent image: a label per line, stacked left-aligned with `lineSpacing` rows above
 * each. (One multi-line label trips an ImageMagick 6 size check at some point sizes.)
 */
function labelArgs(spec: Spec): string[] {
  return [
    '(',
    '+size',
    '-background',
    'none',
    '-fill',
    spec.colours.fill,
    '-font',
    spec.font.file,
    '-pointsize',
    String(spec.pointSize),
    '-interword-spacing',
    String(spec.wordSpacing),
    ...spec.lines.map((line) => `label:${line}`),
    '-splice',
    `0x${spec.lineSpacing}`,
    '-append',
    ')',
  ];
}

function renderArgs(spec: Spec, width: number, height: number, out: string): string[] {
  const args = ['-seed', String(spec.seed), '-size', `${width}x${height}`, ...spec.colours.background];
  args.push(...labelArgs(spec), '-gravity', 'center', '-composite', '+gravity');
  args.push('-virtual-pixel', 'edge');
  if (spec.angle !== 0) args.push('-distort', 'SRT', spec.angle.toFixed(2));
  if (spec.perspective) {
    const corners = [
      [0, 0],
      [width, 0],
      [width, height],
      [0, height],
    ];
    const pairs = corners.map(([x, y], k) => {
      const dx = (spec.perspective?.[2 * k] ?? 0) * width;
      const dy = (spec.perspective?.[2 * k + 1] ?? 0) * height;
      return `${x},${y} ${((x as number) + dx).toFixed(1)},${((y as number) + dy).toFixed(1)}`;
    });
    args.push('-distort', 'Perspective', pairs.join(' '));
  }
  if (spec.blur > 0) args.push('-blur', `0x${spec.blur.toFixed(2)}`);
  if (spec.gaussian > 0) args.push('-attenuate', spec.gaussian.toFixed(2), '+noise', 'Gaussian');
  if (spec.impulse > 0) args.push('-attenuate', spec.impulse.toFixed(3), '+noise', 'Impulse');
  args.push('-alpha', 'off', '-type', 'TrueColor');
  if (spec.jpegQuality !== undefined) args.push('-quality', String(spec.jpegQuality));
  args.push(out);
  return args;
}

export interface GenerateOptions {
  split: Split;
  count: number;
  /** Rendered images are kept here, keyed by a hash of everything that determines them. */
  cacheDir?: string;
  /** Only every `stride`-th image (a small subset with every class, for tests). */
  stride?: number;
  /** Only the tuning split: `tuningSeed(extra)` instead of the split's own seed (ids read `tune<extra>-…`). */
  extraSeed?: number;
  /** Only these image classes. */
  classes?: readonly ImageClass[];
}

/** The split's images, rendered (or read from the cache), in order. */
export async function generateSet(options: GenerateOptions): Promise<EvalImage[]> {
  const { split, count, stride = 1, extraSeed, classes } = options;
  if (extraSeed !== undefined && split !== 'tune')
    throw new Error('extra seeds are for the tuning split only');
  const seed = extraSeed === undefined ? SPLIT_SEEDS[split] : tuningSeed(extraSeed);
  const cacheDir = options.cacheDir ?? join(process.cwd(), 'bench', '.cache', 'ocr-eval');
  await mkdir(cacheDir, { recursive: true });
  const indices = Array.from({ length: count }, (_, i) => i).filter(
    (i) =>
      i % stride === 0 &&
      (!classes || classes.includes(IMAGE_CLASSES[i % IMAGE_CLASSES.length] as ImageClass)),
  );
  const images: EvalImage[] = [];
  // Two renders at a time: ImageMagick is multi-threaded already, and the machine is shared.
  for (let i = 0; i < indices.length; i += 2) {
    images.push(
      ...(await Promise.all(
        indices.slice(i, i + 2).map((index) => renderImage(specFor(split, index, seed), split, cacheDir)),
      )),
    );
  }
  return images;
}

async function renderImage(spec: Spec, split: Split, cacheDir: string): Promise<EvalImage> {
  const [tw, th] = await textSize(spec);
  // Room for the rotated block's corners, and for the perspective's corner shifts (at most 4% a side).
  const sin = Math.abs(Math.sin((spec.angle * Math.PI) / 180));
  const warp = spec.perspective ? 1.1 : 1;
  const width = Math.max(spec.minCanvas[0], Math.ceil((tw + th * sin + 2 * spec.margin[0]) * warp));
  const height = Math.max(spec.minCanvas[1], Math.ceil((th + tw * sin + 2 * spec.margin[1]) * warp));
  const ext = spec.jpegQuality === undefined ? 'png' : 'jpg';
  const key = createHash('sha256')
    .update(JSON.stringify(renderArgs(spec, width, height, ext)))
    .digest('hex')
    .slice(0, 16);
  const file = join(cacheDir, `${spec.id}-${key}.${ext}`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp.${ext}`;
    await run('convert', renderArgs(spec, width, height, tmp));
    await rename(tmp, file);
  }
  return {
    id: spec.id,
    split,
    imageClass: spec.imageClass,
    font: spec.font.file.split('/').at(-1) as string,
    lines: spec.lines,
    bytes: await readFile(file),
    mime: ext === 'png' ? 'image/png' : 'image/jpeg',
    width,
    height,
  };
}

/** Writes the split's truth as JSON lines beside the images (for looking at failures by hand). */
export async function writeTruth(images: readonly EvalImage[], file: string): Promise<void> {
  await writeFile(
    file,
    images.map((i) => JSON.stringify({ id: i.id, font: i.font, lines: i.lines })).join('\n'),
  );
}
