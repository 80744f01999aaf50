/**
 * Classic BPF programs for the kernel's socket filter: compiled from tcpdump's filter syntax by
 * `tcpdump -ddd` (libpcap's compiler), or given as instructions.
 */
import { execFileSync } from "node:child_process";
import { endianness } from "node:os";
import { LinkError } from "../errors.js";

/** One classic BPF instruction (`struct sock_filter`). */
export interface BpfInstruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** The link type a filter is compiled for: Ethernet frames, or IP packets (cooked sockets). */
export type BpfLinkType = "EN10MB" | "RAW";

/** A filter: tcpdump syntax, instructions, or a packed program. */
export type BpfFilter = string | readonly BpfInstruction[] | Uint8Array;

/** Compile a tcpdump-syntax filter to instructions with `tcpdump -ddd`. */
export function compileBpf(expression: string, linkType: BpfLinkType = "EN10MB"): BpfInstruction[] {
  let out: string;
  try {
    out = execFileSync("tcpdump", ["-ddd", "-y", linkType, expression], {
      encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000,
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") {
      throw new LinkError("compiling a filter needs tcpdump (`apt-get install tcpdump`), or give BPF instructions");
    }
    throw new LinkError(`bad filter ${JSON.stringify(expression)}: ${(e.stderr ?? e.message).trim()}`);
  }
  return parseBpf(out);
}

/** Parse `tcpdump -ddd` output: a count, then one `code jt jf k` line per instruction. */
export function parseBpf(text: string): BpfInstruction[] {
  const lines = text.trim().split("\n").map((l) => l.trim()).filter(Boolean);
  const count = Number(lines[0]);
  if (!Number.isInteger(count) || count !== lines.length - 1) throw new LinkError("unreadable BPF program from tcpdump -ddd");
  return lines.slice(1).map((line) => {
    const [code, jt, jf, k] = line.split(/\s+/).map(Number);
    return { code: code!, jt: jt!, jf: jf!, k: k! >>> 0 };
  });
}

/** Pack instructions as the kernel reads them (host byte order). */
export function packBpf(program: readonly BpfInstruction[]): Uint8Array {
  if (program.length === 0 || program.length > 4096) throw new LinkError("a BPF program has 1 to 4096 instructions");
  const bytes = new Uint8Array(program.length * 8);
  const view = new DataView(bytes.buffer);
  const little = endianness() === "LE";
  program.forEach((ins, i) => {
    view.setUint16(i * 8, ins.code, little);
    view.setUint8(i * 8 + 2, ins.jt);
    view.setUint8(i * 8 + 3, ins.jf);
    view.setUint32(i * 8 + 4, ins.k >>> 0, little);
  });
  return bytes;
}

/** Return a packed program for any accepted filter form. */
export function toBpf(filter: BpfFilter, linkType: BpfLinkType = "EN10MB"): Uint8Array {
  if (filter instanceof Uint8Array) return filter;
  return packBpf(typeof filter === "string" ? compileBpf(filter, linkType) : filter);
}
