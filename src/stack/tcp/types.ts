/**
 * Shared vocabulary of the TCP engine: states (RFC 9293 3.3.2), flag bits, a received segment
 * as the state machine reads it, and what a connection reports to its user (a socket).
 */
import type { SegmentOptions } from "./options.js";
import type { AddressFamily } from "./network.js";

/** Connection states, as RFC 9293 names them. */
export type TcpState =
  | "CLOSED" | "LISTEN" | "SYN-SENT" | "SYN-RECEIVED" | "ESTABLISHED" | "FIN-WAIT-1" | "FIN-WAIT-2"
  | "CLOSE-WAIT" | "CLOSING" | "LAST-ACK" | "TIME-WAIT";

/** Flag bits of the TCP header. */
export const Flag = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32 } as const;

/** The fixed header fields of a segment, as on the wire (the window not scaled). */
export interface SegmentHeader {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
}

/** A received segment, decoded once. */
export interface Segment extends SegmentHeader {
  readonly family: AddressFamily;
  readonly src: string;
  readonly dst: string;
  readonly options: SegmentOptions;
  /** Payload bytes (a view into the received frame: copy before keeping). */
  readonly data: Uint8Array;
}

/** Return the sequence space a segment occupies: data, plus one each for SYN and FIN. */
export function segmentLength(s: Segment): number {
  return s.data.length + (s.flags & Flag.SYN ? 1 : 0) + (s.flags & Flag.FIN ? 1 : 0);
}

/** What a connection tells its user. */
export interface ConnectionUser {
  /** The handshake completed. */
  onConnected(): void;
  /** In-order data arrived (a fresh copy the user may keep). */
  onData(bytes: Buffer): void;
  /** Received bytes the user holds but has not consumed (they close the window). */
  unread(): number;
  /** The peer sent FIN after all its data. */
  onEnd(): void;
  /** Room appeared in the send buffer. */
  onSendSpace(): void;
  /** The connection failed (reset, time-out, ICMP hard error); it is closed after this. */
  onError(error: Error): void;
  /** The connection reached CLOSED or TIME-WAIT (nothing more will be reported). */
  onClosed(): void;
}

/** What `tcpInfo()` returns (as Linux's `TCP_INFO`, in part). */
export interface TcpInfo {
  readonly state: TcpState;
  /** Negotiated: the MSS we send with (options not deducted), window shifts each way, SACK, timestamps. */
  readonly mss: number;
  readonly sendWindowScale: number | undefined;
  readonly receiveWindowScale: number | undefined;
  readonly sack: boolean;
  readonly timestamps: boolean;
  /** Smoothed RTT and its variance, ms (undefined before a sample). */
  readonly srtt: number | undefined;
  readonly rttvar: number | undefined;
  readonly rto: number;
  readonly cwnd: number;
  readonly ssthresh: number;
  /** Segments retransmitted over the connection's life, and retransmission time-outs. */
  readonly retransmits: number;
  readonly timeouts: number;
  readonly congestion: string;
  readonly sendWindow: number;
  readonly receiveWindow: number;
  readonly bytesInFlight: number;
  readonly inRecovery: boolean;
}
