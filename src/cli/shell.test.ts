import { test } from "node:test";
import assert from "node:assert/strict";
import { IPv4, UDP, type AnyProtocol } from "../index.js";
import { completeFieldName } from "./shell.js";
import { wirecraft } from "./testing.js";

const protocols = new Map<string, AnyProtocol>([["IPv4", IPv4], ["UDP", UDP]]);

test("shell completes field names inside a layer's values", () => {
  assert.deepEqual(completeFieldName("IPv4({ t", protocols), [["tos", "totalLength", "ttl"], "t"]);
  assert.deepEqual(completeFieldName("p = packet(IPv4({ ttl: 3, t", protocols), [["tos", "totalLength"], "t"]);
  assert.deepEqual(completeFieldName("UDP({ ", protocols)?.[0], ["srcPort", "dstPort", "length", "checksum"]);
  assert.deepEqual(completeFieldName("UDP({ dstPort: 5", protocols), undefined);
  assert.equal(completeFieldName("Nope({ t", protocols), undefined);
  assert.equal(completeFieldName("IPv4(", protocols), undefined);
});

test("shell evaluates with the API and every protocol in scope (top-level await too)", () => {
  const r = wirecraft(["shell"], [
    "dissect(packet(IPv4({ dst: '192.0.2.9' }), UDP({ dstPort: 53 })).bytes(), IPv4).layer(UDP).dstPort",
    "typeof TCP === 'function' && typeof tcpStreams === 'function' && typeof compileFilter",
    "(await readPcap('test/fixtures/loopback-ping.pcap')[Symbol.asyncIterator]().next()).value.data.length",
    "",
  ].join("\n"));
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), ["53", "'function'", "59"]);
});

test("help: the command list, per-command help, usage errors", () => {
  const top = wirecraft(["--help"]);
  assert.equal(top.status, 0);
  for (const c of ["read", "stats", "follow", "shell", "describe"]) assert.match(top.stdout, new RegExp(`wirecraft ${c} `));
  for (const c of ["read", "stats", "follow", "shell"]) {
    const a = wirecraft(["help", c]);
    const b = wirecraft([c, "--help"]);
    assert.equal(a.status, 0);
    assert.equal(a.stdout, b.stdout);
    assert.match(a.stdout, new RegExp(`^Usage: wirecraft ${c} [^]*Examples:\\n  wirecraft ${c}`));
  }
  assert.equal(wirecraft(["help", "nope"]).status, 2);
  assert.equal(wirecraft(["nope"]).status, 2);
  assert.equal(wirecraft([]).status, 1);
});
