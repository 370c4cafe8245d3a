// Distinct, readable colours for outlines, cycled by detection index (same colour in the table and canvas).
const COLOURS = ['#e5484d', '#0090ff', '#30a46c', '#f76b15', '#8e4ec6', '#12a594', '#d6409f', '#a18072'];

export function colourFor(index: number): string {
  return COLOURS[((index % COLOURS.length) + COLOURS.length) % COLOURS.length] ?? '#0090ff';
}
