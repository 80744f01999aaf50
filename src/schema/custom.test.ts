/**
 * field.custom: the message base when reading (shared by list items), position and per-build
 * scratch when building, a length field bounding a custom field, and errors becoming malformed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { defineProtocol, field } from "./protocol.js";
import { dissect, packet } from "../packet/packet.js";

/** A toy field: one byte holding its own position from the message start, checked when read. */
const position = () => field.custom<number>({
  kind: "position",
  default: 0,
  span: (c) => {
    if (c.bytes[c.offset] !== c.offset - c.base) throw new Error(`byte says ${c.bytes[c.offset]}, position is ${c.offset - c.base}`);
    return 1;
  },
  read: (c) => c.offset - c.base,
  encode: (_v, c) => {
    const seen = (c.scratch.get("n") as number | undefined) ?? 0;
    c.scratch.set("n", seen + 1);
    return Uint8Array.of(c.position, seen);
  },
});

const Item = defineProtocol("CustomItem", { at: position(), seen: field.uint8() });
const Message = defineProtocol("CustomMessage", {
  tag: field.uint8({ default: 0xaa }),
  at: position(),
  items: field.list(Item),
});
const Framed = defineProtocol("CustomFramed", { head: field.uint16(), length: field.uint8({ lengthOf: "blob" }), blob: field.custom<Uint8Array>({
  kind: "blob", default: new Uint8Array(0), span: (c) => c.end - c.offset, read: (c) => c.bytes.slice(c.offset, c.end), encode: (v) => v,
}), tail: field.uint8() });

test("encode sees positions from the message start and one scratch per build", () => {
  const b = packet(Message({ items: [{}, {}] })).bytes();
  // tag, at(pos 1, seen 0), item0.at(pos 3, seen 1), item0.seen, item1.at(pos 6, seen 2), item1.seen
  assert.deepEqual([...b], [0xaa, 1, 0, 3, 1, 0, 6, 2, 0]);
  assert.deepEqual([...packet(Message({ items: [{}, {}] })).bytes()], [...b], "a fresh scratch each build");
});

test("read sees the message base, also inside list items and behind a lower layer", () => {
  const msg = Uint8Array.of(0xaa, 1, 2, 0, 4, 0);
  const p = dissect(msg, Message);
  assert.equal(p.error, undefined);
  assert.deepEqual(p.layer(Message)!.items.map((i) => i.at), [2, 4]);
  const bad = Uint8Array.of(0xaa, 1, 9, 0);
  const q = dissect(bad, Message);
  assert.ok(q.malformed);
  assert.match(q.error!.message, /byte says 9/);
});

test("a length field bounds a custom field, and is computed from its encoded size", () => {
  const b = packet(Framed({ head: 1, blob: Uint8Array.of(7, 8, 9), tail: 5 })).bytes();
  assert.deepEqual([...b], [0, 1, 3, 7, 8, 9, 5]);
  const l = dissect(b, Framed).layer(Framed)!;
  assert.deepEqual([...l.blob], [7, 8, 9]);
  assert.equal(l.tail, 5);
  assert.ok(dissect(Uint8Array.of(0, 1, 9, 7), Framed).truncated);
});
