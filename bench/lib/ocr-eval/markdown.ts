// Markdown tables for the OCR evaluation: readers side by side, then per image class.
import type { OcrEvalResults } from './bench.js';
import type { Evaluation, ReaderRow } from './evaluate.js';

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : 'n/a');
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : 'n/a');

export function renderEvalTables(evaluation: Evaluation): string {
  const readers = [...new Set(evaluation.rows.map((r) => r.reader))];
  const row = (reader: string, scope: ReaderRow['scope']) =>
    evaluation.rows.find((r) => r.reader === reader && r.scope === scope);
  const out: string[] = [];
  out.push(
    '| reader | images | CER, spaces ignored | CER, spaces included | exact lines | split lines | merged lines | missed lines | dropped chars | inserted chars | spurious boxes | p50 per image |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const scope of ['all', 'latin'] as const) {
    for (const reader of readers) {
      const r = row(reader, scope);
      if (!r) continue;
      const t = r.totals;
      out.push(
        `| ${reader}${scope === 'latin' ? ' (Latin images)' : ''} | ${t.images} | ${pct(r.cerNoSpaces)} | ${pct(r.cerWithSpaces)} | ${t.exactLines}/${t.lines} | ${t.splitLines} | ${t.mergedLines} | ${t.missedLines} | ${t.dropped} | ${t.inserted} | ${t.spuriousBoxes} | ${ms(r.p50Ms)} |`,
      );
    }
  }
  const classes = [...new Set(evaluation.rows.map((r) => r.scope))].filter(
    (s) => s !== 'all' && s !== 'latin',
  );
  out.push('', `| image class | ${readers.map((r) => `${r}: CER (no spaces / spaces) · p50`).join(' | ')} |`);
  out.push(`|---|${readers.map(() => '---:').join('|')}|`);
  for (const scope of classes) {
    const cells = readers.map((reader) => {
      const r = row(reader, scope);
      return r ? `${pct(r.cerNoSpaces)} / ${pct(r.cerWithSpaces)} · ${ms(r.p50Ms)}` : 'n/a';
    });
    const n = row(readers[0] as string, scope)?.totals.images ?? 0;
    out.push(`| ${scope} (${n}) | ${cells.join(' | ')} |`);
  }
  return out.join('\n');
}

/** The `npm run bench` section: what the set is, then the tables. */
export function renderOcrEvalSection(results: OcrEvalResults | undefined): string[] {
  if (!results) return [];
  return [
    '## OCR evaluation set (held out): three readers, same images, same run',
    '',
    `${results.images} images of the **evaluation split** (seed ${results.seed}), rendered by ImageMagick from the fonts of ` +
      `${results.fontPackages.map((p) => `\`${p}\``).join(', ')}, some families only in this split ` +
      '(`bench/lib/ocr-eval/generate.ts`; the tuning split has another seed). The truth is the rendered text; each ' +
      'returned box is located in it, and the boxes of each line are compared with it in the order returned ' +
      '(`bench/lib/ocr-eval/score.ts`). CER pools edits over characters. API: `POST /predict` over HTTP; ' +
      '`@gutenye/ocr-node`: in-process; Tesseract: one `tesseract stdin stdout --psm 3 -l eng` process per image ' +
      '(its time includes the process start), Latin images only.',
    '',
    renderEvalTables({ split: results.split, images: results.images, rows: results.rows, outcomes: [] }),
    '',
    ...(results.skipped.length > 0 ? [...results.skipped.map((s) => `- skipped: ${s}`), ''] : []),
    ...(results.apiMisreads.length > 0
      ? [
          '<details><summary>Lines the API misread (first few)</summary>',
          '',
          ...results.apiMisreads.map(
            (m) =>
              `- \`${m.id}\`: ${m.truth.map((t) => `"${t}"`).join(' / ')} → ${m.read.map((t) => `"${t}"`).join(' / ')}`,
          ),
          '',
          '</details>',
          '',
        ]
      : []),
  ];
}
