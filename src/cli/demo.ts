/** `wirecraft demo`: craft packets, show them, put them on the wire format and dissect them back. */
import { bind, defineProtocol, dissect, Ethernet, field, hexdump, IPv4, IPv6, packet, UDP } from "../index.js";

/** Run the demo; prints to stdout. */
export function runDemo(_args: string[]): number {
  const say = (s: string) => process.stdout.write(s + "\n");
  say("# 1. Craft Ethernet / IPv4 / UDP / payload; lengths, checksums and next-protocol fields are filled in.");
  const p = packet(
    Ethernet({ dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" }),
    IPv4({ src: "192.0.2.1", dst: "192.0.2.2", flags: "DF" }),
    UDP({ srcPort: 40000, dstPort: 9 }),
    "hello, wire",
  );
  say(p.show());
  const wire = p.bytes();
  say(hexdump(wire));
  say("\n# 2. Dissect the bytes back (lazily: nothing is decoded before it is asked for).");
  const q = dissect(wire, Ethernet);
  say(q.summary());
  say(`UDP destination port: ${q.layer(UDP)?.dstPort}, IPv4 checksum ok: ${q.verifyChecksums().every((c) => c.ok)}`);
  say("\n# 3. A protocol of your own: ESCP, bit fields over UDP port 1337 (from the Scapy article).");
  const ESCP = defineProtocol("ESCP", {
    sync: field.bits(5, { default: 0b10101 }),
    ver: field.bits(4, { default: 0b0011 }),
    flags: field.bits(2),
    cmd: field.bits(5, { default: 0b00010 }),
    msg: field.bytes(62, { default: "Never gonna let you down" }),
  });
  bind(UDP, ESCP, { dstPort: 1337 });
  const e = packet(IPv6({ dst: "::1" }), UDP({ srcPort: 40000 }), ESCP({ cmd: 1 }));
  const back = dissect(e.bytes(), IPv6);
  say(back.summary());
  say(back.layer(ESCP)!.show());
  say("# 4. Hostile bytes never throw: a truncated frame is marked, the rest kept as Raw.");
  const cut = dissect(wire.subarray(0, 30), Ethernet);
  say(`${cut.summary()}\n  error: ${cut.error?.message}`);
  return 0;
}
