/**
 * A random sweep against Scapy: each case is our bytes, the Scapy expression that should build the
 * same bytes from the same values, and the values we dissect from our bytes, named as Scapy names
 * them. One /usr/bin/python3 process per sweep builds every expression and dissects every one of
 * our packets; the bytes must be identical and every expected value must equal Scapy's.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

/** Why Scapy tests skip, or false when Scapy imports under /usr/bin/python3. */
export const NO_SCAPY: string | false = spawnSync("/usr/bin/python3", ["-c", "import scapy.all"], { stdio: "ignore" }).status === 0
  ? false : "SKIPPED: Scapy is not importable under /usr/bin/python3 (apt-get install python3-scapy); the Scapy sweeps did not run";

/** One packet of a sweep. */
export interface SweepCase {
  /** Our bytes, as hex. */
  hex: string;
  /** The Scapy class to dissect our bytes with. */
  first: "IP" | "IPv6";
  /** A Python expression that builds the same packet with Scapy, or null to compare the dissection only. */
  scapy: string | null;
  /** Our values, by Scapy layer ("TCP", or "IP#2" for the second IP) and Scapy field name. */
  expect: Record<string, Record<string, unknown>>;
}

const SCRIPT = `
import json, sys
from scapy.all import *
from scapy.fields import FlagValue
from scapy.packet import NoPayload
from scapy.layers.vxlan import VXLAN
from scapy.layers.ntp import NTPHeader
from scapy.layers.dhcp6 import *

def norm(v, item=False):
    if isinstance(v, Packet):
        return one(v) if item else chain(v)
    if isinstance(v, FlagValue) or isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v if abs(v) < 2**53 else str(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("latin1")
    if isinstance(v, (list, tuple)):
        return [norm(x, True) for x in v]
    if v is None or isinstance(v, (str, float)):
        return v
    return str(v)

def one(l):
    d = {f.name: norm(l.getfieldval(f.name)) for f in l.fields_desc}
    d["_"] = type(l).__name__
    return d

def chain(p):
    out = []
    while p is not None and not isinstance(p, NoPayload):
        out.append(one(p))
        p = p.payload
    return out

out = []
for c in json.load(sys.stdin):
    built = raw(eval(c["scapy"])).hex() if c["scapy"] else None
    p = {"IP": IP, "IPv6": IPv6}[c["first"]](bytes.fromhex(c["hex"]))
    layers = {}
    for l in chain(p):
        k, i = l["_"], 2
        while k in layers:
            k, i = "%s#%d" % (l["_"], i), i + 1
        layers[k] = l
    out.append({"built": built, "layers": layers})
print(json.dumps(out))
`;

/** Compare `want` with `got` (only the keys of `want`); return the number of leaf values compared. */
function compare(want: unknown, got: unknown, path: string, problems: string[]): number {
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) {
      problems.push(`${path}: ours ${JSON.stringify(want)}, Scapy ${JSON.stringify(got)}`);
      return 1;
    }
    return want.reduce((n: number, w, i) => n + compare(w, got[i], `${path}[${i}]`, problems), 0);
  }
  if (want !== null && typeof want === "object") {
    if (got === null || typeof got !== "object") {
      problems.push(`${path}: ours ${JSON.stringify(want)}, Scapy ${JSON.stringify(got)}`);
      return 1;
    }
    let n = 0;
    for (const [k, w] of Object.entries(want)) if (w !== undefined) n += compare(w, (got as Record<string, unknown>)[k], `${path}.${k}`, problems);
    return n;
  }
  if (want !== got) problems.push(`${path}: ours ${JSON.stringify(want)}, Scapy ${JSON.stringify(got)}`);
  return 1;
}

/** A 64-bit value as Scapy's side reports it: a number when exact in a double, else its digits. */
export const big = (v: bigint): number | string => (v < 2n ** 53n ? Number(v) : String(v));

/** Bytes as a latin1 string, as Scapy's side reports bytes. */
export const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

/** Run a sweep; fail with the first disagreements; return the packets and values compared. */
export function sweep(what: string, cases: SweepCase[]): { packets: number; built: number; fields: number } {
  const r = spawnSync("/usr/bin/python3", ["-c", SCRIPT], { input: JSON.stringify(cases), encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { built: string | null; layers: Record<string, unknown> }[];
  assert.equal(got.length, cases.length);
  const problems: string[] = [];
  let fields = 0;
  let built = 0;
  cases.forEach((c, i) => {
    if (c.scapy !== null) {
      built++;
      if (got[i]!.built !== c.hex) problems.push(`${what} case ${i}: Scapy built other bytes from the same values\n  ours  ${c.hex}\n  Scapy ${got[i]!.built}\n  ${c.scapy}`);
    }
    fields += compare(c.expect, got[i]!.layers, `${what} case ${i}`, problems);
  });
  assert.deepEqual(problems.slice(0, 8), [], `${problems.length} disagreement(s) with Scapy`);
  console.log(`# ${what}: ${cases.length} packets; Scapy built the same bytes for ${built} of ${built}; ${fields} field values of our dissection equal Scapy's dissection of our bytes`);
  return { packets: cases.length, built, fields };
}

/** Python literals. */
export const py = {
  str: (s: string): string => JSON.stringify(s),
  bytes: (b: Uint8Array): string => `bytes.fromhex("${Buffer.from(b).toString("hex")}")`,
};

/** mulberry32, a small seeded generator, with helpers for random values. */
export function randomValues(seed: number) {
  let a = seed >>> 0;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(0, 255));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const ipv4 = (): string => Array.from({ length: 4 }, () => int(0, 255)).join(".");
  const mac = (): string => Array.from(bytes(6), (x) => x.toString(16).padStart(2, "0")).join(":");
  const ipv6 = (): string => {
    const w = Array.from({ length: 8 }, () => (rand() < 0.4 ? 0 : rand() < 0.3 ? int(1, 15) : int(0, 0xffff)));
    w[0] = int(0x2001, 0xfdff); // never the IPv4-compatible or -mapped forms, printed differently
    return w.map((x) => x.toString(16)).join(":");
  };
  const text = (lo: number, hi: number): string => Array.from({ length: int(lo, hi) }, () => String.fromCharCode(int(0x20, 0x7e))).join("");
  return { rand, int, bytes, pick, ipv4, ipv6, mac, text, u32: () => int(0, 0xffffffff) };
}
