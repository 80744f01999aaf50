/**
 * Pluggable congestion control: the interface the sender drives, and the registry of algorithms
 * by name ("reno", "newreno", "cubic"). Windows are in bytes, time in milliseconds from the
 * stack's clock (`now` arguments; no wall clock), so everything runs on virtual time.
 *
 * Recovery has two accountings, chosen per episode by `onEnterRecovery`'s `sack` argument:
 * - without SACK (RFC 5681 3.2, RFC 6582): cwnd = ssthresh + 3*SMSS, inflated by SMSS per further
 *   duplicate ACK (`onDupAck`), deflated by partial ACKs; the sender sends while
 *   FlightSize (SND.NXT - SND.UNA) < cwnd.
 * - with SACK (RFC 6675): cwnd = ssthresh for the whole episode; the sender sends while
 *   cwnd - pipe >= SMSS, pipe from `SackScoreboard.pipe()`.
 */
import { Cubic } from "./cubic.js";
import { NewReno, Reno } from "./reno.js";

export { initialWindow, INFINITE_SSTHRESH } from "./reno.js";

/** A congestion control algorithm, driven by the sender's ACK processing and timers. */
export interface CongestionControl {
  /** The algorithm's registry name. */
  readonly name: string;
  /** The congestion window in bytes. */
  readonly cwnd: number;
  /** The slow start threshold in bytes (INFINITE_SSTHRESH until the first congestion event). */
  readonly ssthresh: number;
  /** Whether a fast recovery episode is running (plain Reno leaves it at the first new ACK). */
  readonly inRecovery: boolean;
  /**
   * New data acknowledged outside recovery: slow start (RFC 3465 ABC, at most 2*SMSS per ACK) or
   * congestion avoidance. `flightSize` is the bytes outstanding when the ACK arrived; the window
   * grows only while at least half of it is in use (an application-limited sender does not
   * inflate it, RFC 7661's rule). `rttMs` is the smoothed RTT when known (CUBIC uses it).
   */
  onAck(ackedBytes: number, now: number, rttMs: number | undefined, flightSize: number): void;
  /**
   * Loss detected by DupThresh duplicate ACKs or by SACK (IsLost): set ssthresh from
   * `flightSize` (the bytes outstanding, capped at cwnd) and start recovery; `sack` selects
   * RFC 6675 accounting.
   */
  onEnterRecovery(now: number, flightSize: number, sack?: boolean): void;
  /** A further duplicate ACK during recovery without SACK: cwnd += SMSS (RFC 5681 3.2 step 4). */
  onDupAck?(): void;
  /**
   * New data acknowledged during recovery. `partial`: SND.UNA is still below the recovery point
   * (RFC 6582); NewReno deflates cwnd by `ackedBytes` and adds back SMSS when `ackedBytes` >= SMSS
   * (not with SACK accounting, where cwnd stays ssthresh); plain Reno ends recovery.
   */
  onRecoveryAck(ackedBytes: number, partial: boolean, flightSize: number): void;
  /**
   * The recovery point is acknowledged (full ACK): cwnd = ssthresh, or with `flightSize` (what is
   * still outstanding) min(ssthresh, max(flightSize, SMSS) + SMSS), RFC 6582 3.2 step 3 (1).
   */
  onExitRecovery(now: number, flightSize?: number): void;
  /**
   * The retransmission timer expired: ssthresh = max(flightSize / 2, 2*SMSS) (CUBIC: * 0.7), held
   * when the previous time-out had no ACK since (RFC 5681 7) or when recovery had already reduced
   * it for this congestion event; cwnd = 1 SMSS; recovery ends.
   */
  onRetransmitTimeout(now: number, flightSize: number): void;
  /** Sending resumes after an idle period longer than the RTO: cwnd = min(cwnd, IW) (RFC 5681 4.1). */
  onIdleRestart?(now: number): void;
}

/** Create an algorithm's state for a connection whose SMSS is `mss`. */
export type CongestionControlFactory = (mss: number) => CongestionControl;

/** The algorithms by name. "reno": RFC 5681; "newreno": RFC 5681 with RFC 6582; "cubic": RFC 9438. */
export const congestionControls: Record<"reno" | "newreno" | "cubic", CongestionControlFactory> = {
  reno: (mss) => new Reno(mss),
  newreno: (mss) => new NewReno(mss),
  cubic: (mss) => new Cubic(mss),
};

/** The names `congestionControls` knows. */
export type CongestionControlName = keyof typeof congestionControls;
