/**
 * TCP stream graphs with uPlot: time/sequence (Stevens: the sequence number of every segment one
 * side sends, against time, with the other side's acknowledgments as a line) and throughput (that
 * side's payload bytes per second over a moving window).
 */
import uPlot from "uplot";
import type { StreamData, ViewMeta } from "../model.js";
import type { Source } from "./data.js";

/** Return the Stevens series of a stream for one direction: x, our sequence numbers, their acks. */
export function stevensData(s: StreamData, dir: number): { x: number[]; seq: (number | null)[]; ack: (number | null)[]; points: number } {
  const x: number[] = [];
  const seq: (number | null)[] = [];
  const ack: (number | null)[] = [];
  let points = 0;
  for (let i = 0; i < s.time.length; i++) {
    const mine = s.dir[i] === dir;
    if (!mine && s.ack[i]! < 0) continue;
    x.push(s.time[i]!);
    seq.push(mine ? s.seq[i]! : null);
    ack.push(mine ? null : s.ack[i]!);
    if (mine) points++;
  }
  return { x, seq, ack, points };
}

/** Return throughput (bytes/s over a moving window) at each segment one direction sends. */
export function throughputData(s: StreamData, dir: number): { x: number[]; rate: number[]; window: number } {
  const t: number[] = [];
  const len: number[] = [];
  for (let i = 0; i < s.time.length; i++) if (s.dir[i] === dir) { t.push(s.time[i]!); len.push(s.len[i]!); }
  const span = t.length > 1 ? t[t.length - 1]! - t[0]! : 0;
  const window = Math.max(span / 20, 1e-4);
  const rate: number[] = [];
  let sum = 0;
  let lo = 0;
  for (let i = 0; i < t.length; i++) {
    sum += len[i]!;
    while (t[lo]! <= t[i]! - window) sum -= len[lo++]!;
    rate.push(sum / window);
  }
  return { x: t, rate, window };
}

/** Tick labels with as many decimals as the tick spacing needs. */
function secondsTicks(_u: uPlot, splits: number[]): string[] {
  const step = splits.length > 1 ? Math.abs(splits[1]! - splits[0]!) : 1;
  const decimals = Math.min(9, Math.max(0, -Math.floor(Math.log10(step || 1))));
  return splits.map((v) => v.toFixed(decimals));
}

function colors(doc: Document): { fg: string; grid: string; a: string; b: string } {
  const cs = getComputedStyle(doc.body);
  const v = (n: string, d: string): string => cs.getPropertyValue(n).trim() || d;
  return { fg: v("--fg", "#222"), grid: v("--grid", "#ddd"), a: v("--accent", "#2563eb"), b: v("--accent2", "#dc2626") };
}

/** The TCP graphs tab. */
export class Graphs {
  private charts: uPlot[] = [];
  private readonly streamSel: HTMLSelectElement;
  private readonly dirSel: HTMLSelectElement;

  constructor(private readonly host: HTMLElement, private readonly source: Source, meta: ViewMeta) {
    const doc = host.ownerDocument;
    this.streamSel = doc.getElementById("stream-select") as HTMLSelectElement;
    this.dirSel = doc.getElementById("dir-select") as HTMLSelectElement;
    for (const s of meta.streams) {
      const o = doc.createElement("option");
      o.value = String(s.index);
      o.textContent = `${s.index}: ${s.a} ↔ ${s.b} (${s.segments} segments, ${s.bytes} bytes)`;
      this.streamSel.appendChild(o);
    }
    this.streamSel.addEventListener("change", () => void this.show(Number(this.streamSel.value), -1));
    this.dirSel.addEventListener("change", () => void this.show(Number(this.streamSel.value), Number(this.dirSel.value)));
  }

  /** Draw stream `n` in direction `dir` (-1: the direction that sent more bytes). */
  async show(n: number, dir: number): Promise<void> {
    if (!this.source.meta.streams.length) return;
    const s = await this.source.stream(n);
    this.streamSel.value = String(n);
    if (dir < 0) {
      let a = 0;
      let b = 0;
      s.len.forEach((l, i) => (s.dir[i] === 0 ? (a += l) : (b += l)));
      dir = b > a ? 1 : 0;
    }
    const doc = this.host.ownerDocument;
    this.dirSel.replaceChildren(...[0, 1].map((d) => {
      const o = doc.createElement("option");
      o.value = String(d);
      o.textContent = d === 0 ? `${s.a} → ${s.b}` : `${s.b} → ${s.a}`;
      return o;
    }));
    this.dirSel.value = String(dir);
    for (const c of this.charts) c.destroy();
    this.charts = [];
    const c = colors(doc);
    const width = Math.max(320, this.host.clientWidth - 24);
    const axes = (yLabel: string): uPlot.Axis[] => [
      { label: "seconds since the first frame", stroke: c.fg, grid: { stroke: c.grid }, values: secondsTicks },
      { label: yLabel, stroke: c.fg, grid: { stroke: c.grid }, size: 90 },
    ];
    const st = stevensData(s, dir);
    const seqEl = doc.getElementById("graph-stevens")!;
    seqEl.replaceChildren();
    seqEl.dataset.points = String(st.points);
    seqEl.dataset.stream = String(n);
    seqEl.dataset.dir = String(dir);
    this.charts.push(new uPlot({
      title: `Time/sequence (Stevens): stream ${n}, ${dir === 0 ? `${s.a} → ${s.b}` : `${s.b} → ${s.a}`}`,
      width, height: 300, scales: { x: { time: false } }, axes: axes("sequence"),
      series: [
        { label: "seconds" },
        { label: "segment seq", stroke: c.a, paths: () => null, points: { show: true, size: 6, fill: c.a }, spanGaps: false },
        { label: "ack from peer", stroke: c.b, width: 1, spanGaps: true, points: { show: false } },
      ],
    }, [st.x, st.seq, st.ack] as uPlot.AlignedData, seqEl));
    const tp = throughputData(s, dir);
    const tpEl = doc.getElementById("graph-throughput")!;
    tpEl.replaceChildren();
    tpEl.dataset.points = String(tp.x.length);
    this.charts.push(new uPlot({
      title: `Throughput (bytes/s, ${(tp.window * 1000).toPrecision(3)} ms window)`,
      width, height: 220, scales: { x: { time: false } }, axes: axes("bytes/s"),
      series: [{ label: "seconds" }, { label: "bytes/s", stroke: c.a, width: 2, fill: c.a + "33" }],
    }, [tp.x, tp.rate], tpEl));
  }
}
