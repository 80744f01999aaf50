/**
 * The viewer page: reads the meta data the file carries, then wires the packet list, the detail
 * panes, the filter bar and the tabs. Bundled with the engine and uPlot into one script.
 */
import type { ViewMeta } from "../model.js";
import { Source } from "./data.js";
import { Detail } from "./detail.js";
import { Graphs } from "./graphs.js";
import { PacketList } from "./list.js";
import { renderConversations, renderHierarchy } from "./tables.js";

const doc = document;
const byId = (id: string): HTMLElement => doc.getElementById(id)!;

const meta = JSON.parse(byId("wc-meta").textContent ?? "{}") as ViewMeta;
const source = new Source(meta, doc);
const detail = new Detail(byId("tree"), byId("bytes"));
const status = byId("status");
let selection = 0;

const list = new PacketList(byId("list"), source, (index) => {
  const token = ++selection;
  void source.tree(index).then(({ tree, bytes }) => {
    if (token !== selection) return;
    detail.show(tree, bytes);
    doc.body.dataset.selected = String(index);
    if (!byId("diagram").hidden) void drawDiagram(index, token);
  });
});

/** Draw frame `index`'s diagram in the right pane (unless another frame was selected meanwhile). */
async function drawDiagram(index: number, token: number): Promise<void> {
  const svg = await source.diagram(index);
  if (token !== selection) return;
  const host = byId("diagram");
  host.innerHTML = svg;
  host.dataset.frame = String(index);
}

// The right pane shows the bytes or the frame's diagram; a field of the diagram selects its tree node.
for (const b of doc.querySelectorAll<HTMLButtonElement>(".pane-tabs button")) {
  b.addEventListener("click", () => {
    for (const x of doc.querySelectorAll<HTMLElement>(".pane-tabs button")) x.classList.toggle("active", x === b);
    const diagramOn = b.dataset.pane === "diagram";
    byId("diagram").hidden = !diagramOn;
    byId("bytes").hidden = diagramOn;
    const selected = doc.body.dataset.selected;
    if (diagramOn && selected !== undefined && byId("diagram").dataset.frame !== selected) void drawDiagram(Number(selected), selection);
  });
}
byId("diagram").addEventListener("click", (e) => {
  const rect = (e.target as Element).closest("rect.field");
  const range = rect?.getAttribute("data-bytes");
  if (rect == null || range == null) return;
  const [start, end] = range.split("-").map(Number) as [number, number];
  detail.selectRange(start, end, rect.getAttribute("data-field") ?? undefined);
});
// The box of the selected field is outlined in the diagram (tree, bytes and diagram stay in step).
detail.onSelect = (node) => {
  const field = /(?:^|\s)([A-Za-z]\w*): /.exec(node.label)?.[1];
  for (const r of byId("diagram").querySelectorAll("rect.picked")) r.classList.remove("picked");
  if (field === undefined) return;
  for (const r of byId("diagram").querySelectorAll(`rect.field[data-bytes="${node.start}-${node.end}"][data-field="${field}"]`)) r.classList.add("picked");
};

function showCount(): void {
  status.textContent = list.length === meta.count ? `${meta.count} frames` : `Displayed: ${list.length} of ${meta.count} frames`;
}
showCount();

const input = byId("filter") as HTMLInputElement;
const problem = byId("filter-error");
let filtering = 0;
byId("filter-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const expr = input.value.trim();
  const token = ++filtering;
  problem.textContent = "";
  input.classList.remove("bad", "good");
  doc.body.dataset.filter = "running";
  if (expr === "") {
    list.setView(null);
    showCount();
    doc.body.dataset.filter = "done";
    return;
  }
  void source.filter(expr, (done) => {
    if (token === filtering) status.textContent = `Filtering… ${done} of ${meta.count}`;
  }).then((r) => {
    if (token !== filtering) return;
    if (!r.ok) {
      input.classList.add("bad");
      problem.textContent = r.column > 0 ? `${r.message} (column ${r.column})` : r.message;
      showCount();
      doc.body.dataset.filter = "error";
      return;
    }
    input.classList.add("good");
    list.setView(r.indices);
    showCount();
    doc.body.dataset.filter = "done";
  });
});

let graphs: Graphs | undefined;
let graphedFrame = -2;

/** Graph the selected frame's TCP stream (the first stream when none is selected), once per selection. */
async function showStream(): Promise<void> {
  const selected = doc.body.dataset.selected === undefined ? -1 : Number(doc.body.dataset.selected);
  if (graphs === undefined || selected === graphedFrame) return;
  graphedFrame = selected;
  const stream = selected >= 0 ? (await source.frame(selected)).row[6] : -1;
  await graphs.show(stream >= 0 ? stream : 0, -1);
}
const drawn = new Set<string>();
for (const tab of doc.querySelectorAll<HTMLButtonElement>("nav button[data-tab]")) {
  tab.addEventListener("click", () => {
    const name = tab.dataset.tab!;
    for (const t of doc.querySelectorAll<HTMLElement>("nav button[data-tab]")) t.classList.toggle("active", t === tab);
    for (const s of doc.querySelectorAll<HTMLElement>("main > section")) s.hidden = s.id !== `tab-${name}`;
    if (!drawn.has(name)) {
      drawn.add(name);
      if (name === "conversations") renderConversations(byId("conversations"), meta);
      if (name === "hierarchy") renderHierarchy(byId("hierarchy"), meta);
      if (name === "graphs") {
        graphs = new Graphs(byId("tab-graphs"), source, meta);
        if (!meta.streams.length) byId("graph-stevens").textContent = "No TCP streams in this capture.";
      }
    }
    // The graphs follow the selected frame's TCP stream.
    if (name === "graphs" && meta.streams.length) void showStream();
  });
}
byId("list").focus();
doc.body.dataset.ready = "1";
