// Groups the detector's boxes into text lines. DB finds words wherever the gap between them is wide (monospace
// type, justified text, a sign's spacing); reading each word alone loses the spaces between them, duplicates a
// character where two crops overlap, and leaves the client to rebuild lines. So boxes on one text line with a gap
// under `maxGap` × their height become one line box, recognised as one crop: the spaces come from the recogniser.

import { isTall, quadSize } from './crop.js';
import type { TextBox } from './db-postprocess.js';
import { distance, minAreaRect, orderQuad, type Point, type Quad, rectCorners } from './geometry.js';

export interface LineGrouping {
  /** Largest gap between two boxes of one line, in multiples of the taller box's height. 0 turns grouping off. */
  maxGap: number;
  /** Boxes whose heights differ by more than this factor are not one line (a heading beside body text). */
  maxHeightRatio: number;
}

export interface TextLine extends TextBox {
  /** The detector's boxes that make up the line, left to right (one box: the line itself). */
  words: Quad[];
  /** The direction classifier found the line upside down (its crop is turned 180° before recognition). */
  upsideDown?: boolean;
}

interface Frame {
  box: TextBox;
  /** Unit vector along the text, and the normal pointing down the page. */
  u: Point;
  v: Point;
  centre: Point;
  width: number;
  height: number;
}

function frameOf(box: TextBox): Frame {
  const [p0, p1, p2, p3] = box.quad;
  const dx = p1[0] - p0[0] + (p2[0] - p3[0]);
  const dy = p1[1] - p0[1] + (p2[1] - p3[1]);
  const len = Math.hypot(dx, dy) || 1;
  const u: Point = [dx / len, dy / len];
  return {
    box,
    u,
    v: [-u[1], u[0]],
    centre: [(p0[0] + p1[0] + p2[0] + p3[0]) / 4, (p0[1] + p1[1] + p2[1] + p3[1]) / 4],
    width: (distance(p0, p1) + distance(p3, p2)) / 2,
    height: (distance(p0, p3) + distance(p1, p2)) / 2,
  };
}

const dot = (a: Point, b: Point) => a[0] * b[0] + a[1] * b[1];
const sub = (a: Point, b: Point): Point => [a[0] - b[0], a[1] - b[1]];

/** Whether b continues a's line: same direction, same baseline band, similar height, a short gap along the text. */
function sameLine(a: Frame, b: Frame, options: LineGrouping): boolean {
  if (Math.max(a.height, b.height) > options.maxHeightRatio * Math.min(a.height, b.height)) return false;
  // Directions within ~10° of each other.
  if (dot(a.u, b.u) < 0.985) return false;
  const d = sub(b.centre, a.centre);
  // The centres lie within half the smaller height of each other across the text.
  if (Math.abs(dot(d, a.v)) > Math.min(a.height, b.height) / 2) return false;
  const along = dot(d, a.u);
  const gap = Math.abs(along) - (a.width + b.width) / 2;
  return gap <= options.maxGap * Math.max(a.height, b.height);
}

/**
 * The boxes as lines in reading order (see readingOrder), before the direction classifier has looked at them: wide
 * boxes upright, tall ones turned 90° clockwise. Tall (vertical) boxes stay alone.
 */
export function groupLines(boxes: readonly TextBox[], options: LineGrouping): TextLine[] {
  const frames = boxes.map(frameOf);
  const parent = frames.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i] as number] as number;
      i = parent[i] as number;
    }
    return i;
  };
  if (options.maxGap > 0) {
    for (let i = 0; i < frames.length; i++) {
      const a = frames[i] as Frame;
      if (isTall(a)) continue;
      for (let j = i + 1; j < frames.length; j++) {
        const b = frames[j] as Frame;
        if (!isTall(b) && sameLine(a, b, options)) parent[root(j)] = root(i);
      }
    }
  }
  const groups = new Map<number, Frame[]>();
  frames.forEach((f, i) => {
    const r = root(i);
    groups.set(r, [...(groups.get(r) ?? []), f]);
  });
  const lines = [...groups.values()].map((members) => {
    // Words left to right along their own line (members share a direction within ~10°).
    const u = (members[0] as Frame).u;
    members.sort((a, b) => dot(a.centre, u) - dot(b.centre, u));
    return members.length === 1 ? single(members[0] as Frame) : merge(members);
  });
  return readingOrder(lines);
}

function single(f: Frame): TextLine {
  return { quad: f.box.quad, score: f.box.score, words: [f.box.quad] };
}

/** One box around the members: the minimum-area rectangle of all their corners. */
function merge(members: readonly Frame[]): TextLine {
  const rect = minAreaRect(members.flatMap((m) => m.box.quad));
  // Keep the text's direction: minAreaRect may call the short side "width".
  const quad = orderQuad(rectCorners(rect));
  const size = quadSize(quad);
  const widths = members.reduce((sum, m) => sum + m.width, 0);
  return {
    quad: size.height > size.width ? rotateStart(quad) : quad,
    score: members.reduce((sum, m) => sum + m.box.score * m.width, 0) / widths,
    words: members.map((m) => m.box.quad),
  };
}

/** The same rectangle with its corners renamed so that the long side runs from corner 0 to corner 1. */
const rotateStart = (q: Quad): Quad => [q[3], q[0], q[1], q[2]];

interface Oriented {
  line: TextLine;
  centre: Point;
  /** Unit vector in reading direction, and the normal pointing to the next line. */
  dir: Point;
  normal: Point;
  length: number;
  thickness: number;
}

/**
 * A line's reading direction. A wide box reads along its top edge; a tall one is cropped as text turned 90°
 * clockwise (crop.ts), so it reads down its long side; an upside-down line (the direction classifier's verdict)
 * reads the other way. The next line sits on the reading direction's right-hand normal (y down): below upright
 * text, left of clockwise text (and of vertical CJK columns), right of counter-clockwise text, above upside-down text.
 */
function orient(line: TextLine): Oriented {
  const f = frameOf(line);
  const tall = isTall(f);
  const sign = line.upsideDown ? -1 : 1;
  const along = tall ? f.v : f.u;
  const dir: Point = [along[0] * sign, along[1] * sign];
  return {
    line,
    centre: f.centre,
    dir,
    normal: [-dir[1], dir[0]],
    length: tall ? f.height : f.width,
    thickness: tall ? f.width : f.height,
  };
}

/**
 * The page's reading direction: the length-weighted median of the lines' angles around their mean direction.
 * A median, so that one long box the detector drew a little skewed (a wide banner shrinks 12× along the text
 * but little across it) cannot tilt the page, which across 10 000 px moves lines by more than their height.
 */
function pageDirection(lines: readonly Oriented[]): Point {
  let mx = 0;
  let my = 0;
  for (const l of lines) {
    mx += l.dir[0] * l.length;
    my += l.dir[1] * l.length;
  }
  const len = Math.hypot(mx, my);
  if (len === 0) return [1, 0];
  const mean: Point = [mx / len, my / len];
  const angles = lines
    .map((l) => ({
      angle: Math.atan2(mean[0] * l.dir[1] - mean[1] * l.dir[0], dot(mean, l.dir)),
      weight: l.length,
    }))
    .sort((a, b) => a.angle - b.angle);
  const half = angles.reduce((sum, a) => sum + a.weight, 0) / 2;
  let seen = 0;
  let median = 0;
  for (const a of angles) {
    seen += a.weight;
    median = a.angle;
    if (seen >= half) break;
  }
  const c = Math.cos(median);
  const s = Math.sin(median);
  return [mean[0] * c - mean[1] * s, mean[0] * s + mean[1] * c];
}

/**
 * The lines in reading order, following the text's own direction (so a rotated page, sideways or upside down,
 * reads as it would upright): along the page's normal from the first line to the last, and lines that share a
 * band (centres within half a line height across either line's own direction) in reading direction.
 */
export function readingOrder(lines: readonly TextLine[]): TextLine[] {
  const oriented = lines.map(orient);
  const u = pageDirection(oriented);
  const v: Point = [-u[1], u[0]];
  const info = oriented.map((o) => ({
    ...o,
    across: dot(o.centre, v),
    along: dot(o.centre, u) - o.length / 2,
  }));
  info.sort((a, b) => a.across - b.across);
  // Insertion pass: a line moves before earlier lines of the same band that start further along the text.
  for (let i = 1; i < info.length; i++) {
    for (let j = i; j > 0; j--) {
      const prev = info[j - 1] as (typeof info)[number];
      const cur = info[j] as (typeof info)[number];
      const d = sub(cur.centre, prev.centre);
      const offset = Math.min(Math.abs(dot(d, prev.normal)), Math.abs(dot(d, cur.normal)));
      const sameBand = offset < Math.min(cur.thickness, prev.thickness) / 2;
      if (!sameBand || prev.along <= cur.along) break;
      info[j - 1] = cur;
      info[j] = prev;
    }
  }
  return info.map((i) => i.line);
}
