/**
 * The packet list, virtualised: a spacer as tall as every row, and only the rows in sight (plus a
 * few) drawn, from a small pool of row elements. Rows of chunks not yet decoded show as "…" and
 * are drawn again once their chunk arrives. Up/down, page up/down, home and end move the selection.
 */
import type { Source } from "./data.js";
import { formatTime } from "./data.js";

/** Height of a row in pixels (the CSS gives rows this height). */
export const ROW_HEIGHT = 22;
const OVERSCAN = 8;

/** The virtualised packet list. */
export class PacketList {
  /** Frame indices shown, or null for every frame. */
  private view: Int32Array | null = null;
  /** Position of the selected row in the view, or -1. */
  private selected = -1;
  private readonly spacer: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private frame = 0;

  constructor(
    private readonly scroller: HTMLElement,
    private readonly source: Source,
    private readonly onSelect: (index: number) => void,
  ) {
    this.spacer = scroller.ownerDocument.createElement("div");
    this.spacer.className = "spacer";
    scroller.appendChild(this.spacer);
    scroller.addEventListener("scroll", () => this.schedule());
    scroller.addEventListener("keydown", (e) => this.key(e));
    scroller.addEventListener("click", (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>(".row");
      if (row !== null && row.dataset.pos !== undefined) this.select(Number(row.dataset.pos));
    });
    new ResizeObserver(() => this.schedule()).observe(scroller);
    this.setView(null);
  }

  /** Return how many rows the list shows. */
  get length(): number {
    return this.view === null ? this.source.meta.count : this.view.length;
  }

  /** Show these frame indices (null: every frame); the selection stays if its frame is shown. */
  setView(view: Int32Array | null): void {
    const keep = this.selected >= 0 ? this.indexAt(this.selected) : -1;
    this.view = view;
    this.selected = -1;
    if (keep >= 0) {
      const pos = view === null ? keep : view.indexOf(keep);
      if (pos >= 0) this.selected = pos;
    }
    this.spacer.style.height = `${this.length * ROW_HEIGHT}px`;
    this.scroller.dataset.rows = String(this.length);
    this.render();
  }

  /** Return the frame index at a position of the view. */
  indexAt(pos: number): number {
    return this.view === null ? pos : this.view[pos]!;
  }

  /** Select the row at `pos` and scroll it into sight. */
  select(pos: number): void {
    if (this.length === 0) return;
    pos = Math.max(0, Math.min(this.length - 1, pos));
    this.selected = pos;
    const top = pos * ROW_HEIGHT;
    const h = this.scroller.clientHeight - ROW_HEIGHT;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top > this.scroller.scrollTop + h) this.scroller.scrollTop = top - h;
    this.render();
    this.onSelect(this.indexAt(pos));
  }

  private key(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (e.key in moves) this.select((this.selected < 0 ? -1 : this.selected) + moves[e.key]!);
    else if (e.key === "Home") this.select(0);
    else if (e.key === "End") this.select(this.length - 1);
    else return;
    e.preventDefault();
  }

  private schedule(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Draw the rows in sight. */
  render(): void {
    const doc = this.scroller.ownerDocument;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const visible = Math.ceil(this.scroller.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN;
    const last = Math.min(this.length, first + visible);
    while (this.pool.length < last - first) {
      const row = doc.createElement("div");
      row.className = "row";
      for (let c = 0; c < 7; c++) row.appendChild(doc.createElement("span"));
      this.scroller.appendChild(row);
      this.pool.push(row);
    }
    const size = this.source.meta.chunkSize;
    const missing = new Set<number>();
    for (let k = 0; k < this.pool.length; k++) {
      const row = this.pool[k]!;
      const pos = first + k;
      if (pos >= last) {
        row.style.display = "none";
        continue;
      }
      const index = this.indexAt(pos);
      const chunk = this.source.loaded(Math.floor(index / size));
      row.style.display = "";
      row.style.top = `${pos * ROW_HEIGHT}px`;
      row.dataset.pos = String(pos);
      row.dataset.index = String(index);
      row.classList.toggle("selected", pos === this.selected);
      const cells = row.children;
      cells[0]!.textContent = String(index + 1);
      if (chunk === undefined) {
        missing.add(Math.floor(index / size));
        for (let c = 1; c < 7; c++) cells[c]!.textContent = c === 1 ? "…" : "";
        row.dataset.protocol = "";
        continue;
      }
      const r = chunk.rows[index - chunk.first]!;
      cells[1]!.textContent = formatTime(r[0]);
      cells[2]!.textContent = r[3];
      cells[3]!.textContent = r[4];
      cells[4]!.textContent = r[2];
      cells[5]!.textContent = String(r[1]);
      cells[6]!.textContent = r[5];
      row.dataset.protocol = r[2];
    }
    for (const k of missing) void this.source.load(k).then(() => this.schedule());
  }
}
