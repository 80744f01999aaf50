/**
 * Live traffic: TAP/TUN devices, packet sockets, raw sockets; send, sniff, sr, sr1; reply
 * matching; templates.
 */
export { Tap } from "./tap.js";
export type { TapOptions, TapOffloads } from "./tap.js";
export { PacketSocket, RawSocket, ALL_PROTOCOLS } from "./packet-socket.js";
export type { PacketSocketOptions } from "./packet-socket.js";
export type { Link, Frame, FramesOptions, Direction } from "./link.js";
export { NativeLink } from "./link.js";
export { compileBpf, parseBpf, packBpf } from "./bpf.js";
export type { BpfInstruction, BpfFilter, BpfLinkType } from "./bpf.js";
export { send, sniff, sr, sr1 } from "./verbs.js";
export type { Where, Sniffed, SniffOptions, SrOptions, SrResult } from "./verbs.js";
export { answers, registerAnswer } from "./answers.js";
export type { AnswerRule } from "./answers.js";
export { template, sweep, sweepSize, range, cidr } from "./template.js";
export type { LayerTemplate, TemplateValues, SweepInput } from "./template.js";
export { nativeAvailable, BUILD_HINT } from "./native.js";
