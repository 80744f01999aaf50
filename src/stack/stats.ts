/**
 * Counters of a stack: events by name (`ipv4.rx`, `udp.tx`…) and drops by reason. Every drop is
 * counted and, when someone subscribes, published on the `wirecraft:stack:drop` diagnostics
 * channel with the stack's name, the reason and a short detail.
 */
import diagnostics from "node:diagnostics_channel";

/** Why the stack dropped a frame or packet. */
export const DropReason = {
  frameShort: "frameShort",
  frameMalformed: "frameMalformed",
  notForUs: "notForUs",
  vlanMismatch: "vlanMismatch",
  etherTypeUnknown: "etherTypeUnknown",
  arpMalformed: "arpMalformed",
  arpUnsupported: "arpUnsupported",
  arpPendingOverflow: "arpPendingOverflow",
  arpUnresolved: "arpUnresolved",
  arpCacheFull: "arpCacheFull",
  ipv4Malformed: "ipv4Malformed",
  ipv4BadChecksum: "ipv4BadChecksum",
  ipv4BadSource: "ipv4BadSource",
  ipv4NotForUs: "ipv4NotForUs",
  ipv4NoRoute: "ipv4NoRoute",
  ipv4TooBig: "ipv4TooBig",
  ipv4ProtocolUnknown: "ipv4ProtocolUnknown",
  ipv4Fragment: "ipv4Fragment",
  /** An exact copy of a fragment already held (same offset, length and bytes): dropped alone. */
  ipv4FragmentDuplicate: "ipv4FragmentDuplicate",
  ipv4ReassemblyTimeout: "ipv4ReassemblyTimeout",
  ipv4ReassemblyMemory: "ipv4ReassemblyMemory",
  ipv4ReassemblyOverlap: "ipv4ReassemblyOverlap",
  ipv4ReassemblyInvalid: "ipv4ReassemblyInvalid",
  icmpMalformed: "icmpMalformed",
  icmpBadChecksum: "icmpBadChecksum",
  icmpRateLimited: "icmpRateLimited",
  icmpUnhandled: "icmpUnhandled",
  udpMalformed: "udpMalformed",
  udpBadChecksum: "udpBadChecksum",
  udpPortClosed: "udpPortClosed",
  /** IPv6 (issue 8): the network layer, reassembly, ICMPv6, neighbour discovery, MLD. */
  ipv6Malformed: "ipv6Malformed",
  ipv6BadSource: "ipv6BadSource",
  ipv6NotForUs: "ipv6NotForUs",
  ipv6NoRoute: "ipv6NoRoute",
  ipv6TooBig: "ipv6TooBig",
  ipv6ProtocolUnknown: "ipv6ProtocolUnknown",
  /** An option whose action bits say discard (01, 10, 11). */
  ipv6OptionUnknown: "ipv6OptionUnknown",
  /** A Hop-by-Hop header not first, a routing header with segments left (we do not forward). */
  ipv6HeaderRejected: "ipv6HeaderRejected",
  ipv6FragmentDuplicate: "ipv6FragmentDuplicate",
  ipv6ReassemblyTimeout: "ipv6ReassemblyTimeout",
  ipv6ReassemblyMemory: "ipv6ReassemblyMemory",
  ipv6ReassemblyOverlap: "ipv6ReassemblyOverlap",
  ipv6ReassemblyInvalid: "ipv6ReassemblyInvalid",
  icmpv6Malformed: "icmpv6Malformed",
  icmpv6BadChecksum: "icmpv6BadChecksum",
  icmpv6RateLimited: "icmpv6RateLimited",
  icmpv6Unhandled: "icmpv6Unhandled",
  /** A neighbour discovery message failing RFC 4861's validity checks (hop limit 255, code 0…). */
  ndpInvalid: "ndpInvalid",
  ndpUnresolved: "ndpUnresolved",
  ndpPendingOverflow: "ndpPendingOverflow",
  ndpCacheFull: "ndpCacheFull",
  mldInvalid: "mldInvalid",
  // TCP (src/stack/tcp)
  tcpMalformed: "tcpMalformed",
  tcpBadChecksum: "tcpBadChecksum",
  tcpNotUnicast: "tcpNotUnicast",
  tcpPortClosed: "tcpPortClosed",
  /** A segment outside the receive window (answered with an ACK unless RST). */
  tcpOutOfWindow: "tcpOutOfWindow",
  /** An ACK for data never sent or too old (RFC 5961 5.2). */
  tcpAckUnacceptable: "tcpAckUnacceptable",
  /** A segment whose flags do not fit the state (no ACK, RST to LISTEN…). */
  tcpUnacceptable: "tcpUnacceptable",
  tcpNoAck: "tcpNoAck",
  /** PAWS (RFC 7323 5): a timestamp older than TS.Recent. */
  tcpPaws: "tcpPaws",
  tcpOutOfOrderFull: "tcpOutOfOrderFull",
  tcpSynQueueFull: "tcpSynQueueFull",
  tcpTableFull: "tcpTableFull",
  /** An exception escaped a handler: a bug in the stack, counted instead of thrown. */
  internalError: "internalError",
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/** The diagnostics channel drops are published on. */
export const dropChannel = diagnostics.channel("wirecraft:stack:drop");

/** What `dropChannel` publishes. */
export interface DropMessage {
  readonly stack: string;
  readonly reason: DropReason;
  readonly detail: string | undefined;
}

/** A snapshot of a stack's counters. */
export interface StackStats {
  /** Events by name. */
  readonly counters: Readonly<Record<string, number>>;
  /** Drops by reason (only reasons that happened). */
  readonly drops: Readonly<Partial<Record<DropReason, number>>>;
  /** Total drops. */
  readonly dropped: number;
}

/** The counters of one stack. */
export class Stats {
  private readonly counters = new Map<string, number>();
  private readonly drops = new Map<DropReason, number>();
  private dropped = 0;

  constructor(private readonly stackName: string) {}

  /** Add `n` to the counter `name`. */
  count(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }

  /** Count a drop and publish it when the channel has subscribers. */
  drop(reason: DropReason, detail?: string): void {
    this.dropped++;
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    if (dropChannel.hasSubscribers) {
      const m: DropMessage = { stack: this.stackName, reason, detail };
      dropChannel.publish(m);
    }
  }

  /** Return the value of a counter (0 when never counted). */
  get(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  /** Return the drops counted for `reason`. */
  dropCount(reason: DropReason): number {
    return this.drops.get(reason) ?? 0;
  }

  /** Return a snapshot. */
  snapshot(): StackStats {
    return {
      counters: Object.fromEntries(this.counters),
      drops: Object.fromEntries(this.drops) as Partial<Record<DropReason, number>>,
      dropped: this.dropped,
    };
  }
}
