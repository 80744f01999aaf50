/**
 * Reno (RFC 5681) and NewReno (RFC 6582) congestion control, and the window logic CUBIC shares:
 * the RFC 6928 initial window, slow start with RFC 3465 Appropriate Byte Counting (L = 2*SMSS),
 * fast recovery, the retransmission time-out and the RFC 5681 4.1 restart window.
 *
 * "reno" and "newreno" differ only in a partial ACK (new data acknowledged while SND.UNA is still
 * below the recovery point): Reno ends recovery there (cwnd = ssthresh; a further loss in the same
 * window needs DupThresh new duplicates and halves the window again); NewReno stays in recovery,
 * deflates cwnd by the bytes acknowledged and adds back one SMSS, and the sender retransmits the
 * next hole at once (RFC 6582 3.2 step 3). The recovery point itself is the sender's.
 */
import type { CongestionControl } from "./congestion.js";
import { WirecraftError } from "../../errors.js";

/** ssthresh before the first congestion event ("arbitrarily high", RFC 5681 3.1). */
export const INFINITE_SSTHRESH = 0x7fffffff;

/** The initial window of RFC 6928: min(10*MSS, max(2*MSS, 14600)) bytes. */
export function initialWindow(mss: number): number {
  return Math.min(10 * mss, Math.max(2 * mss, 14600));
}

/** What Reno, NewReno and CUBIC share; subclasses decide ssthresh and congestion avoidance. */
export abstract class WindowControl implements CongestionControl {
  abstract readonly name: string;
  /** SMSS in bytes. */
  readonly mss: number;
  protected window: number;
  protected threshold = INFINITE_SSTHRESH;
  protected recovering = false;
  /** Whether this recovery episode uses RFC 6675 (pipe) accounting. */
  protected sackRecovery = false;
  /** Bytes acknowledged toward the next SMSS of congestion avoidance (RFC 3465 bytes_acked). */
  protected avoidanceBytes = 0;
  /** Time-outs since the last ACK of new data (RFC 5681 7: ssthresh held after the first). */
  protected timeouts = 0;

  constructor(mss: number) {
    if (!Number.isInteger(mss) || mss < 1 || mss > 0xffff) {
      throw new WirecraftError("ERR_INVALID_ARG_VALUE", `congestion control: mss must be an integer from 1 to 65535 (got ${mss})`);
    }
    this.mss = mss;
    this.window = initialWindow(mss);
  }

  /** The congestion window in whole bytes. */
  get cwnd(): number {
    return Math.floor(this.window);
  }

  /** The slow start threshold in bytes. */
  get ssthresh(): number {
    return this.threshold;
  }

  /** Whether a fast recovery episode is running. */
  get inRecovery(): boolean {
    return this.recovering;
  }

  onAck(ackedBytes: number, now: number, rttMs: number | undefined, flightSize: number): void {
    if (!(ackedBytes > 0)) return;
    this.timeouts = 0;
    if (this.recovering) return; // the sender should have called onRecoveryAck
    if (2 * (Math.max(flightSize, 0) + ackedBytes) < this.window) return; // application-limited
    if (this.window < this.threshold) {
      const room = this.threshold - this.window;
      const grow = Math.min(ackedBytes, 2 * this.mss);
      if (grow <= room) {
        this.window += grow;
        return;
      }
      this.window = this.threshold;
      ackedBytes = grow - room; // what byte counting allowed beyond ssthresh
    }
    this.avoid(ackedBytes, now, rttMs);
  }

  onEnterRecovery(now: number, flightSize: number, sack = false): void {
    this.threshold = Math.max(Math.floor(this.reduce(now, this.inFlight(flightSize))), 2 * this.mss);
    this.window = sack ? this.threshold : this.threshold + 3 * this.mss;
    this.recovering = true;
    this.sackRecovery = sack;
    this.avoidanceBytes = 0;
  }

  onDupAck(): void {
    if (this.recovering && !this.sackRecovery) this.window += this.mss;
  }

  onRecoveryAck(ackedBytes: number, partial: boolean, flightSize: number): void {
    if (!this.recovering) return;
    if (ackedBytes > 0) this.timeouts = 0;
    if (!partial || this.sackRecovery || !(ackedBytes > 0)) return;
    this.partialAck(ackedBytes, flightSize);
  }

  onExitRecovery(now: number, flightSize?: number): void {
    if (!this.recovering) return;
    this.recovering = false;
    this.sackRecovery = false;
    this.timeouts = 0; // the recovery point was acknowledged
    this.window = flightSize === undefined || !Number.isFinite(flightSize)
      ? this.threshold
      : Math.min(this.threshold, Math.max(bytes(flightSize), this.mss) + this.mss);
  }

  onRetransmitTimeout(now: number, flightSize: number): void {
    // Held after a first time-out with no ACK since (RFC 5681 7), and when the time-out ends a
    // recovery episode that already reduced it for this congestion event (as Linux does).
    if (this.timeouts === 0 && !this.recovering) this.threshold = Math.max(Math.floor(this.reduceOnTimeout(now, this.inFlight(flightSize))), 2 * this.mss);
    this.timeouts++;
    this.window = this.mss;
    this.recovering = false;
    this.sackRecovery = false;
    this.avoidanceBytes = 0;
  }

  onIdleRestart(now: number): void {
    this.window = Math.min(this.window, initialWindow(this.mss));
  }

  /**
   * The FlightSize a reduction starts from: the caller's, capped at cwnd. RFC 5681 counts all
   * data sent and not cumulatively acknowledged, which includes what the receiver already holds
   * beyond a hole; after a long recovery without SACK that can be thousands of segments no longer
   * in the network, and a loss then would set ssthresh from them. Linux uses cwnd alone.
   */
  protected inFlight(flightSize: number): number {
    return Math.min(bytes(flightSize), this.window);
  }

  /** The new ssthresh (before the 2*SMSS floor) for a loss with `flightSize` outstanding. */
  protected abstract reduce(now: number, flightSize: number): number;

  /** The new ssthresh on a retransmission time-out; the same as `reduce` unless overridden. */
  protected reduceOnTimeout(now: number, flightSize: number): number {
    return this.reduce(now, flightSize);
  }

  /** Congestion avoidance for `ackedBytes` newly acknowledged. */
  protected abstract avoid(ackedBytes: number, now: number, rttMs: number | undefined): void;

  /** A partial ACK in recovery without SACK. */
  protected abstract partialAck(ackedBytes: number, flightSize: number): void;

  /** RFC 5681 / RFC 3465 congestion avoidance: cwnd += SMSS per cwnd bytes acknowledged. */
  protected renoAvoid(ackedBytes: number): void {
    this.avoidanceBytes += ackedBytes;
    if (this.avoidanceBytes >= this.window) {
      this.avoidanceBytes -= this.window;
      this.window += this.mss;
      // At most one SMSS per ACK (RFC 5681 3.1); a stretch ACK does not carry over a burst.
      if (this.avoidanceBytes > this.window) this.avoidanceBytes = this.window;
    }
  }

  /** RFC 6582 3.2 step 3 (partial): deflate by the bytes acknowledged, add back SMSS if >= SMSS. */
  protected deflate(ackedBytes: number): void {
    this.window = Math.max(this.window - ackedBytes, this.mss);
    if (ackedBytes >= this.mss) this.window += this.mss;
  }
}

/** Reno (RFC 5681): halve on loss, one fast retransmit per recovery, which ends at any new ACK. */
export class Reno extends WindowControl {
  readonly name: string = "reno";

  protected reduce(now: number, flightSize: number): number {
    return flightSize / 2;
  }

  protected avoid(ackedBytes: number): void {
    this.renoAvoid(ackedBytes);
  }

  protected partialAck(ackedBytes: number): void {
    // RFC 5681 3.2 step 6: the first ACK of new data ends recovery with cwnd = ssthresh.
    this.recovering = false;
    this.window = this.threshold;
  }
}

/** NewReno (RFC 5681 + RFC 6582): Reno whose recovery survives partial ACKs. */
export class NewReno extends Reno {
  override readonly name: string = "newreno";

  protected override partialAck(ackedBytes: number): void {
    this.deflate(ackedBytes);
  }
}

/** A byte count from the caller: non-finite or negative counts as 0. */
export function bytes(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
