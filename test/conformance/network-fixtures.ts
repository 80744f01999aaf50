/**
 * The link and network layer fixtures (test/fixtures/network, made by make-network.sh): frames
 * with the protocol their link type starts with, and tshark's fields for each frame.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readPcapSync } from "../../src/capture/pcap.js";
import { protocolForLinkType } from "../../src/capture/link.js";
import type { AnyProtocol } from "../../src/schema/protocol.js";
// Every protocol of the suite, so that their binds and link types are registered.
import "../../src/protocols/all-link-network.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The fixture folder (tests run from build/, the fixtures stay in the source tree). */
export const NETWORK_FIXTURES = [join(here, "../../../test/fixtures/network"), join(here, "../fixtures/network")].find((d) => existsSync(d))!;

/** The fixture captures. */
export const NETWORK_CAPTURES = ["network-eth", "network-sll", "network-sll2", "network-scapy", "network-null", "network-loop", "network-raw"] as const;

/** A frame of a fixture. */
export interface Frame {
  readonly capture: string;
  readonly index: number;
  readonly data: Uint8Array;
  readonly first: AnyProtocol;
}

/** Return the frames of a fixture capture. */
export function networkFrames(name: string): Frame[] {
  const file = new Uint8Array(readFileSync(join(NETWORK_FIXTURES, `${name}.pcap`)));
  return [...readPcapSync(file)].map((r, index) => {
    const first = protocolForLinkType(r.linkType);
    if (first === undefined) throw new Error(`${name}: no protocol for link type ${r.linkType}`);
    return { capture: name, index, data: new Uint8Array(r.data), first };
  });
}

/** Return tshark's fields of every frame of a fixture. */
export function networkTshark(name: string): Record<string, string[]>[] {
  const doc = JSON.parse(readFileSync(join(NETWORK_FIXTURES, `${name}.tshark.json`), "utf8")) as { _source: { layers: Record<string, string[]> } }[];
  return doc.map((f) => f._source.layers);
}
