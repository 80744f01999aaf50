/**
 * Header diagrams as text, in the style of RFC 791: two characters per bit, `+-+-+` rulers, bit
 * numbers above, `|` between fields and `/` at the sides of a variable-length field. A field too
 * narrow for its label gets a letter and a line in the key below the diagram.
 */
import { Grid, labelSegment, ROW_BITS, segmentsOf, type Box, type LayerLayout } from "./layout.js";

const WIDTH = 2 * ROW_BITS + 1;

function center(text: string, width: number): string {
  const left = Math.floor((width - text.length) / 2);
  return " ".repeat(left) + text + " ".repeat(width - left - text.length);
}

function bitNumbers(): string[] {
  let tens = "";
  let units = "";
  for (let c = 0; c < ROW_BITS; c++) {
    tens += " " + (c % 10 === 0 ? String(c / 10) : " ");
    units += " " + String(c % 10);
  }
  return [tens.trimEnd(), units];
}

/** Return the labels to try for a box, longest first. */
function candidates(b: Box): string[] {
  return b.value === undefined ? [b.name] : [`${b.name} = ${b.value}`, b.value, b.name];
}

function rowLine(grid: Grid, r: number, labels: ReadonlyMap<string, string>): string {
  const boxes = grid.layout.boxes;
  const variable = (i: number): boolean => i >= 0 && boxes[i]!.variable;
  const chars: string[] = new Array<string>(WIDTH).fill(" ");
  for (let c = 0; c <= ROW_BITS; c++) {
    const l = grid.at(r, c - 1);
    const here = grid.at(r, c);
    if (l === here) continue;
    const fixedSide = (l >= 0 && !variable(l)) || (here >= 0 && !variable(here));
    chars[2 * c] = fixedSide ? "|" : "/";
  }
  for (const [pos, text] of labels) {
    const [row, from] = pos.split(",").map(Number) as [number, number];
    if (row !== r) continue;
    for (let k = 0; k < text.length; k++) chars[2 * from + 1 + k] = text[k]!;
  }
  return chars.join("");
}

/** A layer's text diagram: the drawing, the key of letters given to narrow fields, and notes. */
export interface TextDiagram {
  readonly lines: string[];
  readonly key: string[];
  readonly notes: string[];
}

/** Return a layer's text diagram. */
export function textDiagram(layout: LayerLayout): TextDiagram {
  const grid = new Grid(layout);
  const labels = new Map<string, string>();
  const boxes = layout.boxes;
  const key: string[] = [];
  let letter = 0;
  boxes.forEach((b, i) => {
    const seg = labelSegment(segmentsOf(b, i));
    const width = 2 * (seg.to - seg.from) - 1;
    let text = candidates(b).find((t) => t.length <= width);
    if (text === undefined) {
      const k = String.fromCharCode(97 + (letter++ % 26));
      text = k;
      key.push(`${k}: ${b.value === undefined ? b.name : `${b.name} = ${b.value}`}`);
    }
    labels.set(`${seg.row},${seg.from}`, center(text, width));
  });
  const lines = bitNumbers();
  for (let r = 0; r <= grid.rows; r++) {
    let ruler = "";
    for (let c = 0; c <= ROW_BITS; c++) {
      const dashL = c > 0 && grid.edge(r, c - 1);
      const dashR = c < ROW_BITS && grid.edge(r, c);
      const plus = dashL || dashR || grid.wall(r - 1, c) || grid.wall(r, c);
      ruler += plus ? "+" : " ";
      if (c < ROW_BITS) ruler += dashR ? "-" : " ";
    }
    lines.push(ruler.trimEnd());
    if (r < grid.rows) lines.push(rowLine(grid, r, labels).trimEnd());
  }
  const notes = boxes.filter((b) => b.note !== undefined).map((b) => `${b.name}: ${b.note}`);
  return { lines, key, notes };
}
