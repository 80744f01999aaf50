/**
 * DHCPv4 and DHCPv6: real exchanges (busybox udhcpc and dhclient against dnsmasq across a veth
 * pair; see test/fixtures/make-transport.sh) compared field by field with tshark; Scapy bytes;
 * hostile input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { Ethernet } from "./ethernet.js";
import { IPv4 } from "./ipv4.js";
import { UDP } from "./udp.js";
import { DHCP, chaddr } from "./dhcp.js";
import { DHCPv6 } from "./dhcpv6.js";
import { formatMac } from "../schema/address.js";
import { frames, haveScapy, hex, scapy, Tally, toHexString, tsharkFields } from "../../test/helpers/transport.js";

type V = (string | number)[] | undefined;
const some = (xs: (string | number)[]): V => (xs.length ? xs : undefined);

function dhcpFields(d: DHCP): Record<string, V> {
  const o = d.options.filter((x) => x.code !== 0 && x.code !== 255);
  const by = (code: number) => o.filter((x) => x.code === code);
  return {
    "dhcp.type": [d.op], "dhcp.hops": [d.hops], "dhcp.id": [hex(d.xid, 8)], "dhcp.secs": [d.secs],
    "dhcp.flags": [hex(d.flags, 4)], "dhcp.ip.client": [d.ciaddr], "dhcp.ip.your": [d.yiaddr], "dhcp.ip.server": [d.siaddr],
    "dhcp.ip.relay": [d.giaddr], "dhcp.server": [d.sname], "dhcp.file": [d.file],
    "dhcp.cookie": [[24, 16, 8, 0].map((s) => (d.magicCookie >>> s) & 0xff).join(".")],
    "dhcp.option.length": some(o.map((x) => x.length!)),
    "dhcp.option.dhcp": some(by(53).map((x) => x.messageType!)),
    "dhcp.option.subnet_mask": some(by(1).map((x) => x.address!)),
    "dhcp.option.router": some(by(3).flatMap((x) => x.addresses!)),
    "dhcp.option.domain_name_server": some(by(6).flatMap((x) => x.addresses!)),
    "dhcp.option.ip_address_lease_time": some(by(51).map((x) => x.seconds!)),
    "dhcp.option.renewal_time_value": some(by(58).map((x) => x.seconds!)),
    "dhcp.option.rebinding_time_value": some(by(59).map((x) => x.seconds!)),
    "dhcp.option.dhcp_server_id": some(by(54).map((x) => x.address!)),
    "dhcp.option.requested_ip_address": some(by(50).map((x) => x.address!)),
    "dhcp.option.broadcast_address": some(by(28).map((x) => x.address!)),
    "dhcp.option.request_list_item": some(by(55).flatMap((x) => x.parameters!)),
    "dhcp.option.hostname": some(by(12).map((x) => x.text!)),
    "dhcp.option.domain_name": some(by(15).map((x) => x.text!)),
  };
}

function dhcpv6Fields(d: DHCPv6): Record<string, V> {
  const top = d.options;
  const inner = top.flatMap((o) => o.options ?? []);
  const all = [...top, ...inner];
  const duids = top.filter((o) => o.code === 1 || o.code === 2);
  return {
    "dhcpv6.msgtype": [d.msgType], "dhcpv6.xid": d.transactionId !== undefined ? [hex(d.transactionId, 6)] : undefined,
    "dhcpv6.duid.type": some(duids.map((o) => o.duidType!)),
    "dhcpv6.duidllt.hwtype": some(duids.filter((o) => o.duidType === 1).map((o) => o.hardwareType!)),
    "dhcpv6.duidllt.link_layer_addr": some(duids.filter((o) => o.duidType === 1).map((o) => formatMac(o.data, 0))),
    "dhcpv6.iaid": some(top.filter((o) => o.code === 3).map((o) => o.iaid!.toString(16).padStart(8, "0"))),
    "dhcpv6.iaid.t1": some(top.filter((o) => o.code === 3).map((o) => o.t1!)),
    "dhcpv6.iaid.t2": some(top.filter((o) => o.code === 3).map((o) => o.t2!)),
    "dhcpv6.iaaddr.ip": some(all.filter((o) => o.code === 5).map((o) => o.address!)),
    "dhcpv6.iaaddr.pref_lifetime": some(all.filter((o) => o.code === 5).map((o) => o.preferredLifetime!)),
    "dhcpv6.iaaddr.valid_lifetime": some(all.filter((o) => o.code === 5).map((o) => o.validLifetime!)),
    "dhcpv6.requested_option_code": some(top.filter((o) => o.code === 6).flatMap((o) => o.requested! as number[])),
    "dhcpv6.elapsed_time": some(top.filter((o) => o.code === 8).map((o) => o.elapsedTime! * 10)),
    "dhcpv6.dns_server": some(top.filter((o) => o.code === 23).flatMap((o) => o.servers! as string[])),
  };
}

test("DHCPv4 and DHCPv6 agree with tshark on every field of the real exchanges", () => {
  const tally = new Tally();
  let n = 0;
  for (const [name, read] of [["dhcp", (p: ReturnType<typeof dissect>) => { const d = p.layer(DHCP); return d && dhcpFields(d); }],
    ["dhcpv6", (p: ReturnType<typeof dissect>) => { const d = p.layer(DHCPv6); return d && dhcpv6Fields(d); }]] as const) {
    const ts = tsharkFields(name);
    frames(name).forEach((bytes, i) => {
      const p = dissect(bytes, Ethernet);
      assert.equal(p.error, undefined, `${name} frame ${i + 1}: ${p.error?.message}`);
      const ours = read(p);
      assert.ok(ours !== undefined, `${name} frame ${i + 1} has no ${name} layer`);
      n++;
      for (const [f, v] of Object.entries(ours)) tally.check(i + 1, f, v, ts[i]![f]);
      assert.equal(toHexString(p.bytes({ recompute: true })), toHexString(bytes));
    });
  }
  const d = dissect(frames("dhcp")[0]!, Ethernet).layer(DHCP)!;
  assert.equal(formatMac(d.chaddr, 0), tsharkFields("dhcp")[0]!["dhcp.hw.mac_addr"]![0]);
  console.log(`# ${tally.figure(`DHCP and DHCPv6 (${n} messages)`)}`);
  assert.deepEqual(tally.problems, []);
});

test("Scapy builds the same DHCP bytes and reads ours back", { skip: haveScapy() ? false : "Scapy is not importable under /usr/bin/python3" }, () => {
  const ours = toHexString(packet(IPv4({ src: "0.0.0.0", dst: "255.255.255.255" }), UDP({ srcPort: 68, dstPort: 67 }), DHCP({
    xid: 0x12345678, flags: "B", chaddr: chaddr("02:00:00:00:00:01"), options: [
      { code: "messageType", messageType: "request" }, { code: "requestedAddress", address: "10.0.0.5" },
      { code: "serverIdentifier", address: "10.0.0.1" }, { code: "hostName", text: "box" },
      { code: "parameterRequestList", parameters: [1, 3, 6] }, { code: "leaseTime", seconds: 3600 }, { code: "end" },
    ] })).bytes());
  const r = scapy(`
b = IP(src="0.0.0.0", dst="255.255.255.255")/UDP(sport=68, dport=67)/BOOTP(xid=0x12345678, flags="B", chaddr=bytes.fromhex("020000000001"))/DHCP(options=[("message-type", "request"), ("requested_addr", "10.0.0.5"), ("server_id", "10.0.0.1"), ("hostname", b"box"), ("param_req_list", [1, 3, 6]), ("lease_time", 3600), "end"])
d = IP(bytes.fromhex(data))
print(json.dumps({"bytes": bytes(b).hex(), "xid": d[BOOTP].xid, "options": [list(o) if isinstance(o, tuple) else o for o in d[DHCP].options]}, default=lambda x: x.decode() if isinstance(x, bytes) else str(x)))
`, ours) as { bytes: string; xid: number; options: unknown[] };
  assert.equal(ours, r.bytes);
  assert.equal(r.xid, 0x12345678);
  assert.deepEqual(r.options, [["message-type", 3], ["requested_addr", "10.0.0.5"], ["server_id", "10.0.0.1"], ["hostname", "box"], ["param_req_list", [1, 3, 6]], ["lease_time", 3600], "end"]);
});

test("Scapy builds the same DHCPv6 bytes", { skip: haveScapy() ? false : "Scapy is not importable under /usr/bin/python3" }, () => {
  const ours = toHexString(packet(DHCPv6({ msgType: "solicit", transactionId: 0xabcdef, options: [
    { code: "clientId", duidType: "linkLayer", hardwareType: 1, data: chaddr("02:00:00:00:00:01").subarray(0, 6) },
    { code: "optionRequest", requested: [23, 24] }, { code: "elapsedTime", elapsedTime: 0 },
    { code: "iaNa", iaid: 1, t1: 0, t2: 0, options: [{ code: "iaAddress", address: "fd00::5", preferredLifetime: 10, validLifetime: 20 }] },
  ] })).bytes());
  const r = scapy(`
b = DHCP6_Solicit(trid=0xabcdef)/DHCP6OptClientId(duid=DUID_LL(lladdr="02:00:00:00:00:01"))/DHCP6OptOptReq(reqopts=[23, 24])/DHCP6OptElapsedTime()/DHCP6OptIA_NA(iaid=1, T1=0, T2=0, ianaopts=[DHCP6OptIAAddress(addr="fd00::5", preflft=10, validlft=20)])
print(json.dumps(bytes(b).hex()))
`, null);
  assert.equal(ours, r);
});

test("hostile input: prefixes never throw; option lengths past the end are malformed", () => {
  for (const name of ["dhcp", "dhcpv6"]) for (const bytes of frames(name)) for (let n = 0; n <= bytes.length; n++) {
    dissect(bytes.subarray(0, n), Ethernet).toJSON();
  }
  const b = new Uint8Array(frames("dhcp")[0]!);
  b[14 + 20 + 8 + 240 + 1] = 200; // first option's length far past the end
  assert.ok(dissect(b, Ethernet).malformed);
});
