/**
 * Configuration of a stack: every knob with its default, in one place. `resolveConfig()` fills
 * what the caller left out; the defaults follow Linux where it has an equivalent.
 */

/** ARP settings. */
export interface ArpConfig {
  /** Entries kept at most; when full, the oldest resolved entry is evicted (default 512). */
  readonly cacheSize: number;
  /** How long a learned entry stays valid, in ms (default 60,000). */
  readonly reachableTime: number;
  /** Datagrams held per unresolved neighbour; older ones are dropped beyond it (default 16). */
  readonly pendingLimit: number;
  /** Requests sent for one neighbour before giving up (default 3). */
  readonly retries: number;
  /** Time between requests, in ms (default 1000). */
  readonly retryInterval: number;
  /**
   * An entry in use this close to expiry (ms) is refreshed by a unicast request to the known MAC,
   * at most once per `retryInterval`, so that busy neighbours never age out (default 5000; 0: never).
   */
  readonly refreshBefore: number;
  /**
   * RFC 5227 address conflict detection: probe each new address (sender IP 0.0.0.0) and use it
   * only when nobody claims it, then announce it (default false: addresses are used at once, as
   * Linux does for static addresses).
   */
  readonly probe: boolean;
  /** Probes sent before an address is used (RFC 5227 PROBE_NUM, default 3). */
  readonly probeCount: number;
  /** Random wait before the first probe, ms, 0..this (PROBE_WAIT, default 1000). */
  readonly probeWait: number;
  /** Time between probes, ms: a seeded random value in [probeMin, probeMax] (defaults 1000, 2000). */
  readonly probeMin: number;
  readonly probeMax: number;
  /** Wait after the last probe before the address is used, ms (ANNOUNCE_WAIT, default 2000). */
  readonly announceWait: number;
  /** Announcements sent once an address is used (ANNOUNCE_NUM, default 2), `announceInterval` apart (default 2000). */
  readonly announceCount: number;
  readonly announceInterval: number;
  /**
   * What to do when another host claims an address in use (RFC 5227 2.4): `"forever"` defends
   * with an announcement each time (at most one per `defendInterval`; option (c), for configured
   * addresses, the default); `"retreat"` defends once and gives the address up at a second
   * conflict within `defendInterval` (option (b), for DHCP).
   */
  readonly defence: "forever" | "retreat";
  /** DEFEND_INTERVAL, ms (default 10,000). */
  readonly defendInterval: number;
}

/** IPv4 settings. */
export interface Ipv4Config {
  /** TTL of datagrams the stack sends (default 64). */
  readonly ttl: number;
  /** A datagram whose fragments are not all in after this many ms is dropped (default 30,000, as Linux). */
  readonly reassemblyTimeout: number;
  /** Bytes held by datagrams in reassembly at most (each fragment counts its data plus 64; default 4 MiB, as Linux). */
  readonly reassemblyMemory: number;
  /** Datagrams in reassembly at most (default 256). */
  readonly reassemblyDatagrams: number;
}

/**
 * IPv6 settings (issue 8). Names follow the RFCs' protocol constants and variables; the defaults
 * are theirs (RFC 4861 section 10, RFC 4862, RFC 3810 section 9, RFC 8200, RFC 8201).
 */
export interface Ipv6Config {
  /** Hop limit of datagrams sent (default 64; a router advertisement's current hop limit replaces it). */
  readonly hopLimit: number;
  /** Configure addresses from router advertisements' prefixes (RFC 4862 SLAAC; default true). */
  readonly slaac: boolean;
  /** Send router solicitations at start (default true). */
  readonly routerSolicitation: boolean;
  /**
   * Interface identifiers from RFC 7217 (stable privacy) with this secret instead of the MAC's
   * modified EUI-64 (default undefined: EUI-64).
   */
  readonly stablePrivacySecret: string | undefined;
  /** RFC 7217 Network_ID (default ""). */
  readonly networkId: string;
  /** DupAddrDetectTransmits: neighbour solicitations of duplicate address detection (default 1; 0: none). */
  readonly dadTransmits: number;
  /** RFC 7217 IDGEN_RETRIES: new stable identifiers tried after duplicates (default 3). */
  readonly idgenRetries: number;
  /** RetransTimer, ms (default 1000; a router advertisement may set it). */
  readonly retransTimer: number;
  /** BaseReachableTime, ms (default 30,000; a router advertisement may set it). */
  readonly reachableTime: number;
  /** MIN_RANDOM_FACTOR and MAX_RANDOM_FACTOR of ReachableTime (defaults 0.5 and 1.5). */
  readonly minRandomFactor: number;
  readonly maxRandomFactor: number;
  /** DELAY_FIRST_PROBE_TIME, ms (default 5000). */
  readonly delayFirstProbeTime: number;
  /** MAX_MULTICAST_SOLICIT (default 3) and MAX_UNICAST_SOLICIT (default 3). */
  readonly maxMulticastSolicit: number;
  readonly maxUnicastSolicit: number;
  /** Datagrams queued per unresolved neighbour; the oldest goes beyond it (default 16). */
  readonly pendingLimit: number;
  /** Neighbour cache entries at most (default 512; STALE entries are evicted first). */
  readonly neighbourCacheSize: number;
  /** Redirected destinations remembered at most (default 256). */
  readonly redirectCacheSize: number;
  /** MAX_RTR_SOLICITATION_DELAY, ms (default 1000), RTR_SOLICITATION_INTERVAL (4000), MAX_RTR_SOLICITATIONS (3). */
  readonly maxRtrSolicitationDelay: number;
  readonly rtrSolicitationInterval: number;
  readonly maxRtrSolicitations: number;
  /** Reassembly time-out, ms (RFC 8200: 60,000). */
  readonly reassemblyTimeout: number;
  /** Bytes held by datagrams in reassembly at most (default 4 MiB) and datagrams at most (default 256). */
  readonly reassemblyMemory: number;
  readonly reassemblyDatagrams: number;
  /** ICMPv6 error rate limit (RFC 4443 2.4 f): burst (default 10) and per second (default 10). */
  readonly errorBurst: number;
  readonly errorsPerSecond: number;
  /** Answer echo requests sent to a multicast address (default true, as Linux for IPv6). */
  readonly echoMulticast: boolean;
  /** RFC 8201: a lowered path MTU is kept this long, ms, then the link MTU is tried again (default 600,000). */
  readonly pathMtuTimeout: number;
  /** Path MTU entries at most (default 1024). */
  readonly pathMtuCacheSize: number;
  /** MLD version reports start with (default 2; 1 for MLDv1 only). */
  readonly mldVersion: 1 | 2;
  /** MLD robustness variable (default 2): unsolicited reports are sent this many times. */
  readonly mldRobustness: number;
  /** Unsolicited report interval, ms (RFC 3810: 1000). */
  readonly mldUnsolicitedReportInterval: number;
  /** Query interval, ms (125,000) and query response interval, ms (10,000): they make the older-version-querier time. */
  readonly mldQueryInterval: number;
  readonly mldQueryResponseInterval: number;
}

/** ICMP settings. */
export interface IcmpConfig {
  /** Error messages (unreachable…) sent in a burst at most (default 10). */
  readonly errorBurst: number;
  /** Error messages per second in the long run (default 10). */
  readonly errorsPerSecond: number;
  /** Answer echo requests sent to a broadcast or multicast address (default false, as Linux). */
  readonly echoBroadcast: boolean;
}

/** UDP settings. */
export interface UdpConfig {
  /** Ports chosen for sockets bound to port 0: first and last (default 49152..65535). */
  readonly ephemeralFirst: number;
  readonly ephemeralLast: number;
}

/** DNS stub resolver settings. */
export interface DnsConfig {
  /** Servers asked, in order; when empty, those of the DHCP lease (default none). */
  readonly servers: readonly string[];
  /** Time waited for one answer, ms (default 2000). */
  readonly timeout: number;
  /** Rounds over every server before giving up (default 2). */
  readonly attempts: number;
  /** CNAME links followed at most (default 8). */
  readonly cnameDepth: number;
  /** Which family `lookup()` returns first when a name has both (default `"ipv6first"`, as RFC 6724). */
  readonly order: "ipv4first" | "ipv6first";
}

/** An 802.1Q tag on the interface: frames go out tagged, and only frames with this VLAN id come in. */
export interface VlanConfig {
  /** The VLAN id, 1..4094; undefined: untagged (the default; tagged frames are then dropped). */
  readonly id: number | undefined;
  /** The priority code point of frames sent, 0..7 (default 0). */
  readonly pcp: number;
}

/** TCP settings (src/stack/tcp). Times in ms, sizes in bytes. */
export interface TcpConfig {
  /** Send buffer per connection: `write()` returns false beyond it (default 256 KiB). */
  readonly sendBuffer: number;
  /** Receive buffer per connection: the most window offered, out-of-order data included (default 256 KiB). */
  readonly receiveBuffer: number;
  /** Offer window scaling (RFC 7323; used only when both sides offer it; default true). */
  readonly windowScale: boolean;
  /** Offer SACK (RFC 2018; default true). */
  readonly sack: boolean;
  /** Offer timestamps (RFC 7323 RTTM and PAWS; default true). */
  readonly timestamps: boolean;
  /** Congestion control of new connections: "reno", "newreno" or "cubic" (default "cubic", as Linux). */
  readonly congestion: "reno" | "newreno" | "cubic";
  /** Delayed ACK time-out (default 40, as Linux's minimum; RFC 9293 allows up to 500). */
  readonly delayedAck: number;
  /** RTO bounds and initial value (RFC 6298; defaults 200 as Linux, 120,000, 1000). */
  readonly minRto: number;
  readonly maxRto: number;
  readonly initialRto: number;
  /** SYN retransmissions before ETIMEDOUT (default 6, as Linux tcp_syn_retries). */
  readonly synRetries: number;
  /** Data retransmissions of one segment before ETIMEDOUT (default 15, as Linux tcp_retries2). */
  readonly retries: number;
  /** How long TIME-WAIT lasts (2 MSL; default 60,000 as Linux). */
  readonly timeWait: number;
  /** How long an orphaned connection stays in FIN-WAIT-2 (default 60,000, as Linux tcp_fin_timeout). */
  readonly finTimeout: number;
  /** Keep-alive defaults (`setKeepAlive(true)` turns it on): idle time, probe interval, probes (7,200,000, 75,000, 9 as Linux). */
  readonly keepAliveIdle: number;
  readonly keepAliveInterval: number;
  readonly keepAliveProbes: number;
  /** Default listen backlog: established connections not yet accepted (default 511, as Node). */
  readonly backlog: number;
  /** Half-open connections (SYN-RECEIVED) per listener; beyond it SYN cookies answer (default 256). */
  readonly synQueue: number;
  /** Answer SYNs with cookies when the SYN queue is full (default true). */
  readonly synCookies: boolean;
  /** Connections per stack at most, TIME-WAIT included (default 65,536). */
  readonly maxConnections: number;
  /** Out-of-order segments held per connection at most (their bytes are bounded by the window; default 1024). */
  readonly outOfOrderSegments: number;
  /** RFC 5961 challenge ACKs sent per second at most, per stack (default 1000, as Linux). */
  readonly challengeAckLimit: number;
  /** Ports of connections with no port given: first and last (default 49152..65535). */
  readonly ephemeralFirst: number;
  readonly ephemeralLast: number;
}

/** The whole configuration. */
export interface StackConfig {
  readonly arp: ArpConfig;
  readonly ipv4: Ipv4Config;
  readonly ipv6: Ipv6Config;
  readonly icmp: IcmpConfig;
  readonly udp: UdpConfig;
  readonly dns: DnsConfig;
  readonly vlan: VlanConfig;
  readonly tcp: TcpConfig;
}

/** Partial configuration, as given by a caller. */
export type StackConfigInput = { readonly [K in keyof StackConfig]?: Partial<StackConfig[K]> };

/** The defaults. */
export const defaultStackConfig: StackConfig = {
  arp: {
    cacheSize: 512, reachableTime: 60_000, pendingLimit: 16, retries: 3, retryInterval: 1000, refreshBefore: 5000,
    probe: false, probeCount: 3, probeWait: 1000, probeMin: 1000, probeMax: 2000, announceWait: 2000,
    announceCount: 2, announceInterval: 2000, defence: "forever", defendInterval: 10_000,
  },
  ipv4: { ttl: 64, reassemblyTimeout: 30_000, reassemblyMemory: 4 * 1024 * 1024, reassemblyDatagrams: 256 },
  ipv6: {
    hopLimit: 64, slaac: true, routerSolicitation: true, stablePrivacySecret: undefined, networkId: "", dadTransmits: 1,
    idgenRetries: 3, retransTimer: 1000, reachableTime: 30_000, minRandomFactor: 0.5, maxRandomFactor: 1.5,
    delayFirstProbeTime: 5000, maxMulticastSolicit: 3, maxUnicastSolicit: 3, pendingLimit: 16, neighbourCacheSize: 512,
    redirectCacheSize: 256, maxRtrSolicitationDelay: 1000, rtrSolicitationInterval: 4000, maxRtrSolicitations: 3,
    reassemblyTimeout: 60_000, reassemblyMemory: 4 * 1024 * 1024, reassemblyDatagrams: 256, errorBurst: 10,
    errorsPerSecond: 10, echoMulticast: true, pathMtuTimeout: 600_000, pathMtuCacheSize: 1024, mldVersion: 2,
    mldRobustness: 2, mldUnsolicitedReportInterval: 1000, mldQueryInterval: 125_000, mldQueryResponseInterval: 10_000,
  },
  icmp: { errorBurst: 10, errorsPerSecond: 10, echoBroadcast: false },
  udp: { ephemeralFirst: 49152, ephemeralLast: 65535 },
  dns: { servers: [], timeout: 2000, attempts: 2, cnameDepth: 8, order: "ipv6first" },
  vlan: { id: undefined, pcp: 0 },
  tcp: {
    sendBuffer: 256 * 1024, receiveBuffer: 256 * 1024, windowScale: true, sack: true, timestamps: true, congestion: "cubic",
    delayedAck: 40, minRto: 200, maxRto: 120_000, initialRto: 1000, synRetries: 6, retries: 15, timeWait: 60_000,
    finTimeout: 60_000, keepAliveIdle: 7_200_000, keepAliveInterval: 75_000, keepAliveProbes: 9, backlog: 511, synQueue: 256,
    synCookies: true, maxConnections: 65_536, outOfOrderSegments: 1024, challengeAckLimit: 1000,
    ephemeralFirst: 49152, ephemeralLast: 65535,
  },
};

/** Return the configuration with defaults filled in. */
export function resolveConfig(input: StackConfigInput = {}): StackConfig {
  const d = defaultStackConfig;
  return {
    arp: { ...d.arp, ...input.arp },
    ipv4: { ...d.ipv4, ...input.ipv4 },
    ipv6: { ...d.ipv6, ...input.ipv6 },
    icmp: { ...d.icmp, ...input.icmp },
    udp: { ...d.udp, ...input.udp },
    dns: { ...d.dns, ...input.dns },
    vlan: { ...d.vlan, ...input.vlan },
    tcp: { ...d.tcp, ...input.tcp },
  };
}
