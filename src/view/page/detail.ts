/**
 * The selected frame: its layer tree and its bytes (offset, hex, ASCII). Selecting a tree node
 * highlights the bytes it covers; clicking a byte selects the narrowest node covering it.
 */
import type { TreeNode } from "../tree.js";

interface Placed {
  readonly node: TreeNode;
  readonly el: HTMLElement;
}

/** The tree and bytes panes of one frame. */
export class Detail {
  private placed: Placed[] = [];
  private hexCells: HTMLElement[] = [];
  private asciiCells: HTMLElement[] = [];
  private current: HTMLElement | null = null;

  /** Called with each node selected (by a click, a key, a byte or a diagram box). */
  onSelect: ((node: TreeNode) => void) | undefined = undefined;

  constructor(private readonly treeEl: HTMLElement, private readonly bytesEl: HTMLElement) {
    bytesEl.addEventListener("click", (e) => {
      const o = (e.target as HTMLElement).dataset.o;
      if (o !== undefined) this.selectByte(Number(o));
    });
    treeEl.addEventListener("click", (e) => {
      const t = e.target as HTMLElement;
      const li = t.closest("li");
      if (li === null) return;
      if (t.classList.contains("twisty")) {
        li.classList.toggle("closed");
        return;
      }
      const k = this.placed.findIndex((p) => p.el === li.firstElementChild);
      if (k >= 0) this.selectNode(k);
    });
    treeEl.addEventListener("keydown", (e) => {
      if (this.current === null || (e.key !== "ArrowDown" && e.key !== "ArrowUp")) return;
      const visible = this.placed.filter((p) => p.el.offsetParent !== null);
      const k = visible.findIndex((p) => p.el === this.current);
      const next = visible[k + (e.key === "ArrowDown" ? 1 : -1)];
      if (next !== undefined) this.selectNode(this.placed.indexOf(next));
      e.preventDefault();
    });
  }

  /** Show a frame's tree and bytes. */
  show(tree: TreeNode[], bytes: Uint8Array): void {
    const doc = this.treeEl.ownerDocument;
    this.placed = [];
    this.current = null;
    const build = (nodes: TreeNode[], depth: number): HTMLElement => {
      const ul = doc.createElement("ul");
      for (const n of nodes) {
        const li = doc.createElement("li");
        const row = doc.createElement("div");
        row.className = "node";
        row.dataset.start = String(n.start);
        row.dataset.end = String(n.end);
        const tw = doc.createElement("span");
        tw.className = "twisty";
        tw.textContent = n.children?.length ? "" : " ";
        row.append(tw, doc.createTextNode(n.label));
        li.appendChild(row);
        this.placed.push({ node: n, el: row });
        if (n.children?.length) {
          li.classList.add("parent");
          // The frame node starts closed, as in Wireshark; layers start open.
          if (depth === 0 && n.label.startsWith("Frame ")) li.classList.add("closed");
          li.appendChild(build(n.children, depth + 1));
        }
        ul.appendChild(li);
      }
      return ul;
    };
    this.treeEl.replaceChildren(build(tree, 0));
    this.showBytes(bytes);
  }

  private showBytes(bytes: Uint8Array): void {
    const doc = this.bytesEl.ownerDocument;
    const frag = doc.createDocumentFragment();
    this.hexCells = [];
    this.asciiCells = [];
    for (let off = 0; off < bytes.length; off += 16) {
      const line = doc.createElement("div");
      line.className = "line";
      const o = doc.createElement("span");
      o.className = "off";
      o.textContent = off.toString(16).padStart(4, "0");
      const hex = doc.createElement("span");
      hex.className = "hex";
      const ascii = doc.createElement("span");
      ascii.className = "ascii";
      for (let i = off; i < Math.min(off + 16, bytes.length); i++) {
        const b = bytes[i]!;
        const h = doc.createElement("span");
        h.dataset.o = String(i);
        h.textContent = b.toString(16).padStart(2, "0");
        if (i - off === 8) hex.appendChild(doc.createTextNode(" "));
        hex.appendChild(h);
        const a = doc.createElement("span");
        a.dataset.o = String(i);
        a.textContent = b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
        ascii.appendChild(a);
        this.hexCells.push(h);
        this.asciiCells.push(a);
      }
      line.append(o, hex, ascii);
      frag.appendChild(line);
    }
    this.bytesEl.replaceChildren(frag);
  }

  /** Select tree node `k` (in document order) and highlight its bytes. */
  selectNode(k: number): void {
    const p = this.placed[k];
    if (p === undefined) return;
    this.current?.classList.remove("selected");
    this.current = p.el;
    p.el.classList.add("selected");
    // Open the branches above it.
    for (let li = p.el.parentElement?.parentElement?.closest("li"); li; li = li.parentElement?.closest("li")) li.classList.remove("closed");
    this.highlight(p.node.start, p.node.end);
    this.onSelect?.(p.node);
    p.el.scrollIntoView({ block: "nearest" });
    const first = this.hexCells[p.node.start];
    first?.scrollIntoView({ block: "nearest" });
  }

  /**
   * Select the node covering exactly bytes [start, end), the one of field `field` when several do
   * (bit fields sharing a byte), else the deepest; return whether there was one.
   */
  selectRange(start: number, end: number, field?: string): boolean {
    let best = -1;
    let named = -1;
    this.placed.forEach((p, k) => {
      if (p.node.start !== start || p.node.end !== end) return;
      best = k;
      if (field !== undefined && (p.node.label.startsWith(`${field}: `) || p.node.label.includes(` ${field}: `))) named = k;
    });
    if (named >= 0) best = named;
    if (best >= 0) this.selectNode(best);
    return best >= 0;
  }

  /** Select the narrowest node covering byte `o`. */
  selectByte(o: number): void {
    let best = -1;
    let width = Infinity;
    this.placed.forEach((p, k) => {
      const w = p.node.end - p.node.start;
      // Later (deeper) nodes win ties: a field over its layer when both cover the same bytes.
      if (o >= p.node.start && o < p.node.end && w <= width) {
        best = k;
        width = w;
      }
    });
    if (best >= 0) this.selectNode(best);
  }

  private highlight(start: number, end: number): void {
    for (const cells of [this.hexCells, this.asciiCells]) {
      cells.forEach((c, i) => c.classList.toggle("hl", i >= start && i < end));
    }
  }
}
