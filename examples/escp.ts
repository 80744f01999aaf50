/**
 * ESCP ("Elvim's Super Cool Protocol") from the Scapy article, in wirecraft: bit fields that
 * share two bytes, a 62-byte message, bound to UDP destination port 1337; three packets over
 * IPv6/UDP with source ports 40000..40002, written to escp_test.pcap (link type RAW/IPv6).
 *
 *   node build/examples/escp.js                      # prints them and writes escp_test.pcap
 *   wirecraft read escp_test.pcap --load build/examples/escp.js -V
 */
import { fileURLToPath } from "node:url";
import { bind, defineProtocol, dissect, field, IPv6, LinkType, packet, UDP, writePcap, type Infer, type Packet } from "../src/index.js";

/** The ESCP header: sync:5, ver:4, flags:2, cmd:5, then a 62-byte message. */
export const ESCP = defineProtocol("ESCP", {
  sync: field.bits(5, { default: 0b10101 }),
  ver: field.bits(4, { default: 0b0011 }),
  flags: field.bits(2),
  cmd: field.bits(5, { default: 0b00010 }),
  msg: field.bytes(62, { default: "Never gonna let you down" }),
}, {
  summary: (l) => `cmd=${l.cmd}`,
});
export type ESCP = Infer<typeof ESCP>;

bind(UDP, ESCP, { dstPort: 1337 });

/** Build the article's three packets: IPv6 to ::1, UDP from 40000 + i to 1337, ESCP with cmd = i. */
export function escpPackets(): Packet[] {
  const out: Packet[] = [];
  for (let i = 0; i < 3; i++) out.push(packet(IPv6({ dst: "::1" }), UDP({ srcPort: 40000 + i }), ESCP({ cmd: i })));
  return out;
}

/** Write the three packets to a pcap file (link type IPv6, microsecond stamps a millisecond apart). */
export async function writeEscpPcap(path = "escp_test.pcap"): Promise<number> {
  const start = 1_700_000_000_000_000_000n;
  const records = escpPackets().map((p, i) => ({ time: start + BigInt(i) * 1_000_000n, data: p.bytes() }));
  return writePcap(path, records, { linkType: LinkType.IPV6, nanosecond: false });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const p of escpPackets()) {
    const wire = p.bytes();
    console.log(p.summary());
    console.log(dissect(wire, IPv6).layer(ESCP)!.show());
  }
  console.log(`${await writeEscpPcap()} packets written to escp_test.pcap`);
}
