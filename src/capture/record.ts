/** One captured frame, as read from or written to a capture file. */
export interface CaptureRecord {
  /** Capture time in nanoseconds since the Unix epoch. */
  time: bigint;
  /** The captured bytes; may be a view into the reader's chunk (zero-copy). */
  data: Uint8Array;
  /** The frame's length on the wire; at least `data.length` unless the file says otherwise. */
  originalLength: number;
  /** The link-layer header type (see `LinkType`). */
  linkType: number;
  /** The interface index: 0 for pcap, the file-wide interface index for pcapng. */
  interface: number;
  /** The record's comment (pcapng `opt_comment`), if any. */
  comment?: string;
}

/** A record to write: only `time` and `data` are required. */
export interface RecordInit {
  /** Capture time in nanoseconds since the Unix epoch. */
  time: bigint;
  /** The frame's bytes; truncated to the writer's snaplen. */
  data: Uint8Array;
  /** The frame's length on the wire; defaults to `data.length`. */
  originalLength?: number;
  /** The link type; defaults to the writer's. */
  linkType?: number;
  /** The interface index (pcapng writers with declared interfaces). */
  interface?: number;
  /** A comment (pcapng only; pcap drops it). */
  comment?: string;
}

/** Link-layer header types (LINKTYPE_* from the tcpdump.org registry). */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  AX25: 3,
  IEEE802_5: 6,
  SLIP: 8,
  PPP: 9,
  FDDI: 10,
  PPP_HDLC: 50,
  PPP_ETHER: 51,
  ATM_RFC1483: 100,
  RAW: 101,
  C_HDLC: 104,
  IEEE802_11: 105,
  FRELAY: 107,
  LOOP: 108,
  LINUX_SLL: 113,
  PFLOG: 117,
  IEEE802_11_PRISM: 119,
  IEEE802_11_RADIOTAP: 127,
  USER0: 147,
  PPP_PPPD: 166,
  BLUETOOTH_HCI_H4: 187,
  USB_LINUX: 189,
  PPI: 192,
  IEEE802_15_4: 195,
  USB_LINUX_MMAPPED: 220,
  CAN_SOCKETCAN: 227,
  IPV4: 228,
  IPV6: 229,
  NFLOG: 239,
  MPEG_2_TS: 243,
  USBPCAP: 249,
  BLUETOOTH_LE_LL: 251,
  NETLINK: 253,
  PKTAP: 258,
  VSOCK: 271,
  ETHERNET_MPACKET: 274,
  LINUX_SLL2: 276,
} as const;

/** A known link type's name, as a key of `LinkType`. */
export type LinkTypeName = keyof typeof LinkType;

const NS_PER_S = 1_000_000_000n;

/** Format a nanosecond timestamp as decimal seconds: `1700000000.123456789`. */
export function formatTime(ns: bigint): string {
  if (ns < 0n) return `-${formatTime(-ns)}`;
  const frac = (ns % NS_PER_S).toString().padStart(9, "0");
  return `${ns / NS_PER_S}.${frac}`;
}

/** Parse decimal seconds (`"1700000000.123456789"`) into nanoseconds, truncating extra digits. */
export function parseTime(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (m === null) throw new SyntaxError(`not a decimal timestamp: ${JSON.stringify(text)}`);
  const ns = BigInt(m[2]!) * NS_PER_S + BigInt((m[3] ?? "").slice(0, 9).padEnd(9, "0"));
  return m[1] === "-" ? -ns : ns;
}
