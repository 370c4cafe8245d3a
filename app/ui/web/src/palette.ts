// Distinct, readable colours for outlines, cycled by detection index (same colour in the table and canvas).
// Each has at least 4.5:1 contrast with the white label text drawn on it.
const COLOURS = ['#c62828', '#0b62c4', '#1b7a45', '#b84a0b', '#7b3fc4', '#0f766e', '#b0186a', '#6d5447'];

export function colourFor(index: number): string {
  return COLOURS[((index % COLOURS.length) + COLOURS.length) % COLOURS.length] ?? '#0b62c4';
}
