/**
 * Multicast Listener Discovery for the stack: MLDv2 (RFC 3810) reports for every group joined
 * (solicited-node groups and the caller's), with MLDv1 (RFC 2710) compatibility.
 *
 * - Joining sends an unsolicited report (MLDv2: a CHANGE_TO_EXCLUDE({}) record) at once and
 *   `mldRobustness - 1` more times at random intervals in (0, `mldUnsolicitedReportInterval`];
 *   leaving sends CHANGE_TO_INCLUDE({}) the same way (MLDv1: one done message to ff02::2).
 * - A general query is answered after a random delay in [0, Maximum Response Delay) with one
 *   report of MODE_IS_EXCLUDE({}) records for all groups; a group-specific query with a report
 *   for that group (a pending answer that falls due sooner is kept).
 * - An MLDv1 query turns on MLDv1 compatibility for the Older Version Querier Present time
 *   (robustness × query interval + query response interval, 260 s by default): reports are then
 *   MLDv1 reports sent to the group, one per group, and a v1 report heard from another host for a
 *   group cancels ours (RFC 2710 suppression).
 * - ff02::1 is never reported (RFC 3810 6); reports carry a router alert and hop limit 1, come
 *   from the link-local address, or from "::" while none is usable yet (during DAD).
 */
import type { Packet } from "../packet/packet.js";
import { ICMPv6, Icmpv6Type } from "../protocols/icmpv6.js";
import { MLD, MLDv2Record, MLDv2Report, MulticastRecordType } from "../protocols/mld.js";
import { IpProtocol } from "../protocols/ipv4.js";
import type { Clock, Timer } from "./clock.js";
import type { Ipv6Config } from "./config.js";
import type { Arrival6, Ipv6, Ipv6Layer } from "./ipv6.js";
import type { Stats } from "./stats.js";
import { ALL_MLDV2_ROUTERS, ALL_NODES, ALL_ROUTERS, formatAddress6, isLinkLocal6, isMulticast6, scope6, UNSPECIFIED } from "./address6.js";

/** Records per MLDv2 report at most (20 bytes each: a report stays well under 1280 bytes). */
const RECORDS_PER_REPORT = 50;

/** Return the delay in ms a Maximum Response Code stands for (RFC 3810 5.1.3). */
export function maxResponseDelay(code: number): number {
  if (code < 32768) return code;
  const exp = (code >> 12) & 7;
  const mant = code & 0xfff;
  return (mant | 0x1000) << (exp + 3);
}

interface Group {
  count: number;
  /** A pending answer to a query (v2 group-specific, or v1). */
  answer: Timer | undefined;
  answerAt: number;
  /** Unsolicited retransmissions still to send. */
  retransmit: Timer | undefined;
}

/** MLD for one interface. */
export class Mld {
  private readonly groups = new Map<string, Group>();
  private v1Until = -Infinity;
  private general: Timer | undefined;
  private generalAt = Infinity;

  constructor(
    private readonly ipv6: Ipv6,
    private readonly clock: Clock,
    private readonly stats: Stats,
    private readonly config: Ipv6Config,
    private readonly random: () => number,
  ) {}

  /** The version in use now: 1 while an MLDv1 querier was heard recently (or when configured). */
  get version(): 1 | 2 {
    return this.config.mldVersion === 1 || this.clock.now() < this.v1Until ? 1 : 2;
  }

  /** Return the groups joined, with how many times each. */
  joined(): Map<string, number> {
    return new Map([...this.groups].map(([g, x]) => [g, x.count]));
  }

  /** Join `group` (counted); the first join accepts it and reports it. */
  join(group: string): void {
    const g = this.groups.get(group);
    if (g !== undefined) { g.count++; return; }
    this.groups.set(group, { count: 1, answer: undefined, answerAt: Infinity, retransmit: undefined });
    this.ipv6.acceptGroup(group);
    if (this.reportable(group)) this.unsolicited(group, MulticastRecordType.changeToExclude, this.config.mldRobustness);
  }

  /** Leave `group` once every join has left; the last leave reports it. */
  leave(group: string): void {
    const g = this.groups.get(group);
    if (g === undefined) return;
    if (--g.count > 0) return;
    g.answer?.cancel();
    g.retransmit?.cancel();
    this.groups.delete(group);
    this.ipv6.dropGroup(group);
    if (!this.reportable(group)) return;
    if (this.version === 1) this.sendV1(Icmpv6Type.multicastListenerDone, group, ALL_ROUTERS);
    else this.unsolicited(group, MulticastRecordType.changeToInclude, this.config.mldRobustness);
  }

  /** Whether a group is reported: never ff02::1, nor interface-local groups (RFC 3810 6). */
  private reportable(group: string): boolean {
    return group !== ALL_NODES && scope6(group) > 1;
  }

  private unsolicited(group: string, recordType: number, times: number): void {
    if (this.version === 1) {
      if (recordType === MulticastRecordType.changeToExclude) this.sendV1(Icmpv6Type.multicastListenerReport, group, group);
    } else this.sendV2([MLDv2Record({ recordType, multicastAddress: group })]);
    if (times <= 1) return;
    const delay = Math.max(1, Math.ceil(this.random() * this.config.mldUnsolicitedReportInterval));
    const timer = this.clock.schedule(delay, () => {
      const g = this.groups.get(group);
      const joinedNow = g !== undefined;
      // A join's retransmissions stop when the group is left, a leave's when it is joined again.
      if (joinedNow !== (recordType === MulticastRecordType.changeToExclude)) return;
      this.unsolicited(group, recordType, times - 1);
    });
    const g = this.groups.get(group);
    if (g !== undefined) { g.retransmit?.cancel(); g.retransmit = timer; }
  }

  /** Handle a received MLD message. */
  receive(p: Packet, ip: Ipv6Layer, arrival: Arrival6): void {
    const { bytes, upperStart: s, upperEnd: e } = arrival;
    const type = bytes[s]!;
    const length = e - s;
    // RFC 3810 5.1.14, RFC 2710 5: link-local source, hop limit 1; queries at least 24 bytes.
    if (ip.hopLimit !== 1 || !isLinkLocal6(arrival.src) || length < 24) {
      this.stats.drop("mldInvalid", `type ${type} from ${arrival.src} hop limit ${ip.hopLimit} length ${length}`);
      return;
    }
    const group = formatAddress6(bytes, s + 8);
    if (type === Icmpv6Type.multicastListenerReport) {
      const g = this.groups.get(group);
      if (g?.answer !== undefined && this.version === 1) { g.answer.cancel(); g.answer = undefined; g.answerAt = Infinity; this.stats.count("mld.suppressed"); }
      return;
    }
    if (type !== Icmpv6Type.multicastListenerQuery) return;
    if (group !== UNSPECIFIED && !isMulticast6(group)) { this.stats.drop("mldInvalid", `query for ${group}`); return; }
    const code = (bytes[s + 4]! << 8) | bytes[s + 5]!;
    this.stats.count("mld.queryReceived");
    const v1 = length < 28;
    if (v1) {
      const c = this.config;
      this.v1Until = this.clock.now() + c.mldRobustness * c.mldQueryInterval + c.mldQueryResponseInterval;
      this.stats.count("mld.v1QueryReceived");
    }
    void p;
    // In MLDv1 compatibility a v2 query is answered as a v1 query would be (with v1 reports).
    const delay = v1 ? code : maxResponseDelay(code);
    if (group === UNSPECIFIED) {
      if (this.version === 2) this.scheduleGeneral(delay);
      else for (const g of this.groups.keys()) this.scheduleGroup(g, delay);
    } else if (this.groups.has(group)) this.scheduleGroup(group, delay);
  }

  private scheduleGeneral(delay: number): void {
    const at = this.clock.now() + Math.floor(this.random() * Math.max(1, delay));
    if (this.general !== undefined && this.generalAt <= at) return;
    this.general?.cancel();
    this.generalAt = at;
    this.general = this.clock.schedule(at - this.clock.now(), () => {
      this.general = undefined;
      this.generalAt = Infinity;
      this.currentState();
    });
  }

  private scheduleGroup(group: string, delay: number): void {
    const g = this.groups.get(group);
    if (g === undefined || !this.reportable(group)) return;
    const at = this.clock.now() + Math.floor(this.random() * Math.max(1, delay));
    if (g.answer !== undefined && g.answerAt <= at) return;
    g.answer?.cancel();
    g.answerAt = at;
    g.answer = this.clock.schedule(at - this.clock.now(), () => {
      g.answer = undefined;
      g.answerAt = Infinity;
      if (this.groups.get(group) !== g) return;
      if (this.version === 1) this.sendV1(Icmpv6Type.multicastListenerReport, group, group);
      else this.sendV2([MLDv2Record({ recordType: MulticastRecordType.modeIsExclude, multicastAddress: group })]);
    });
  }

  /** Send current-state records (MODE_IS_EXCLUDE({})) for every reportable group. */
  private currentState(): void {
    const groups = [...this.groups.keys()].filter((g) => this.reportable(g));
    if (this.version === 1) { for (const g of groups) this.sendV1(Icmpv6Type.multicastListenerReport, g, g); return; }
    for (let i = 0; i < groups.length; i += RECORDS_PER_REPORT) {
      this.sendV2(groups.slice(i, i + RECORDS_PER_REPORT).map((g) => MLDv2Record({ recordType: MulticastRecordType.modeIsExclude, multicastAddress: g })));
    }
  }

  private source(): string {
    return this.ipv6.linkLocal() ?? UNSPECIFIED;
  }

  private sendV2(records: ReturnType<typeof MLDv2Record>[]): void {
    if (records.length === 0) return;
    this.stats.count("mld.reportSent");
    this.ipv6.send({
      src: this.source(), dst: ALL_MLDV2_ROUTERS, protocol: IpProtocol.ICMPv6, hopLimit: 1, routerAlert: 0,
      payload: [ICMPv6({ type: Icmpv6Type.multicastListenerReportV2 }), MLDv2Report({ records })],
    });
  }

  private sendV1(type: number, group: string, dst: string): void {
    this.stats.count(type === Icmpv6Type.multicastListenerDone ? "mld.doneSent" : "mld.v1ReportSent");
    this.ipv6.send({
      src: this.source(), dst, protocol: IpProtocol.ICMPv6, hopLimit: 1, routerAlert: 0,
      payload: [ICMPv6({ type }), MLD({ multicastAddress: group })],
    });
  }

  /** Cancel timers. */
  clear(): void {
    this.general?.cancel();
    for (const g of this.groups.values()) { g.answer?.cancel(); g.retransmit?.cancel(); }
  }
}
