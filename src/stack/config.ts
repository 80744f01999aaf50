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
}

/** IPv4 settings. */
export interface Ipv4Config {
  /** TTL of datagrams the stack sends (default 64). */
  readonly ttl: number;
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

/** The whole configuration. */
export interface StackConfig {
  readonly arp: ArpConfig;
  readonly ipv4: Ipv4Config;
  readonly icmp: IcmpConfig;
  readonly udp: UdpConfig;
}

/** Partial configuration, as given by a caller. */
export type StackConfigInput = { readonly [K in keyof StackConfig]?: Partial<StackConfig[K]> };

/** The defaults. */
export const defaultStackConfig: StackConfig = {
  arp: { cacheSize: 512, reachableTime: 60_000, pendingLimit: 16, retries: 3, retryInterval: 1000 },
  ipv4: { ttl: 64 },
  icmp: { errorBurst: 10, errorsPerSecond: 10, echoBroadcast: false },
  udp: { ephemeralFirst: 49152, ephemeralLast: 65535 },
};

/** Return the configuration with defaults filled in. */
export function resolveConfig(input: StackConfigInput = {}): StackConfig {
  const d = defaultStackConfig;
  return {
    arp: { ...d.arp, ...input.arp },
    ipv4: { ...d.ipv4, ...input.ipv4 },
    icmp: { ...d.icmp, ...input.icmp },
    udp: { ...d.udp, ...input.udp },
  };
}
