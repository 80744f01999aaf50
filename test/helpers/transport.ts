/**
 * Helpers for the transport and application protocol tests: the fixtures under
 * test/fixtures/transport (captures and tshark's JSON), a tally of fields compared with tshark,
 * and a bridge to Scapy under /usr/bin/python3.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readPcapSync } from "../../src/capture/pcap.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The fixture folder (the tests run from build/, the fixtures stay in the source tree). */
export const FIXTURES = [join(here, "../../../test/fixtures/transport"), join(here, "../fixtures/transport")].find((d) => existsSync(d))!;

/** Return the frames of a fixture capture. */
export function frames(name: string): Uint8Array[] {
  return [...readPcapSync(new Uint8Array(readFileSync(join(FIXTURES, `${name}.pcap`))))].map((r) => new Uint8Array(r.data));
}

/** Return tshark's fields of every frame of a fixture, by frame. */
export function tsharkFields(name: string): Record<string, string[]>[] {
  const doc = JSON.parse(readFileSync(join(FIXTURES, `${name}.tshark.json`), "utf8")) as { _source: { layers: Record<string, string[]> } }[];
  return doc.map((f) => f._source.layers);
}

/** Fields compared with tshark, and the disagreements. */
export class Tally {
  compared = 0;
  agreed = 0;
  readonly problems: string[] = [];
  /** Compare our values for a tshark field with tshark's (absent on both sides is not counted). */
  check(frame: number, field: string, ours: readonly (string | number | bigint)[] | undefined, theirs: readonly string[] | undefined): void {
    if (ours === undefined && theirs === undefined) return;
    this.compared++;
    const a = JSON.stringify((ours ?? []).map(String));
    const b = JSON.stringify(theirs ?? []);
    if (a === b) this.agreed++;
    else this.problems.push(`frame ${frame} ${field}: ours ${a}, tshark ${b}`);
  }
  /** A one-line figure. */
  figure(what: string): string {
    return `${what}: ${this.agreed}/${this.compared} fields agree with tshark`;
  }
}

/** Return "0x" and `digits` hex digits of `v`. */
export const hex = (v: number, digits: number): string => "0x" + v.toString(16).padStart(digits, "0");

let scapyOk: boolean | undefined;

/** Whether Scapy is importable under /usr/bin/python3. */
export function haveScapy(): boolean {
  if (scapyOk === undefined) {
    const r = spawnSync("/usr/bin/python3", ["-c", "import scapy.all"], { encoding: "utf8" });
    scapyOk = r.status === 0;
  }
  return scapyOk;
}

/** Run a Python script under Scapy with JSON on stdin (as `data`); return what it prints as JSON. */
export function scapy(script: string, data: unknown): unknown {
  const prelude = "import sys, json\nfrom scapy.all import *\ndata = json.loads(sys.stdin.read())\n";
  const r = spawnSync("/usr/bin/python3", ["-c", prelude + script], { input: JSON.stringify(data), encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`scapy failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Return bytes as hex. */
export const toHexString = (b: Uint8Array): string => Buffer.from(b).toString("hex");
/** Return hex as bytes. */
export const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));
