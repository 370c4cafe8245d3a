// Full-width forms (U+FF01-FF5E: "！", "（", "Ａ") read inside Latin text are folded to their ASCII forms.

/** Scripts written with full-width punctuation: Han, kana, Hangul, Bopomofo, and CJK symbols ("。", "、"). */
const CJK =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Bopomofo}\u3000-\u303f]/u;

const isFullWidth = (ch: string) => ch >= '\uff01' && ch <= '\uff5e';

/**
 * PP-OCRv4's dictionary holds both "!" and "！", "(" and "（" (and full-width letters and digits), and its
 * recogniser, trained mostly on Chinese, sometimes picks the full-width one at the end of a Latin line
 * ("555-7204！"). A full-width form is kept when the nearest character on either side that is neither a space nor
 * itself full-width is CJK ("请勿停车！", "出口（"); otherwise it becomes the ASCII character it stands for (its
 * NFKC form: code point − 0xFEE0).
 */
export function foldFullWidth(text: string): string {
  const chars = [...text];
  if (!chars.some(isFullWidth)) return text;
  const nearest = (from: number, step: number): string | undefined => {
    for (let j = from + step; j >= 0 && j < chars.length; j += step) {
      const ch = chars[j] as string;
      if (!/\s/u.test(ch) && !isFullWidth(ch)) return ch;
    }
    return undefined;
  };
  const cjk = (ch: string | undefined) => ch !== undefined && CJK.test(ch);
  return chars
    .map((ch, i) =>
      isFullWidth(ch) && !cjk(nearest(i, -1)) && !cjk(nearest(i, 1))
        ? String.fromCodePoint((ch.codePointAt(0) as number) - 0xfee0)
        : ch,
    )
    .join('');
}
