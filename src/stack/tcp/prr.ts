/**
 * Proportional Rate Reduction, RFC 6937: how much to send on each ACK during fast recovery, so
 * that the window comes down to ssthresh smoothly (one segment per 1/(1 - beta) delivered, not a
 * pause then a burst) and, when losses leave less than ssthresh in the pipe, grows back to it
 * like slow start (the slow start reduction bound, PRR-SSRB, the RFC's recommendation; PRR-CRB,
 * strict packet conservation, with `conservative`). Linux uses it for every recovery.
 *
 * The sender calls `start` on entering recovery, `onAck` on each ACK in recovery (it returns
 * sndcnt, the bytes it may send now), and `onSend` for every byte sent or resent in recovery.
 * After recovery cwnd = ssthresh (the congestion control's `onExitRecovery`).
 */
import { WirecraftError } from "../../errors.js";

/** Options of `ProportionalRateReduction`. */
export interface PrrOptions {
  /** PRR-CRB (strict conservation) instead of PRR-SSRB (false). */
  readonly conservative?: boolean;
}

/** RFC 6937 PRR state for one connection. */
export class ProportionalRateReduction {
  private readonly mss: number;
  private readonly conservative: boolean;
  private ssthresh = 0;
  private recoverFs = 0;
  private deliveredBytes = 0;
  private sentBytes = 0;

  constructor(mss: number, options: PrrOptions = {}) {
    if (!Number.isInteger(mss) || mss < 1) {
      throw new WirecraftError("ERR_INVALID_ARG_VALUE", `ProportionalRateReduction: mss must be a positive integer (got ${mss})`);
    }
    this.mss = mss;
    this.conservative = options.conservative ?? false;
  }

  /** prr_delivered: bytes the receiver got during this recovery. */
  get delivered(): number {
    return this.deliveredBytes;
  }

  /** prr_out: bytes sent during this recovery. */
  get sent(): number {
    return this.sentBytes;
  }

  /**
   * Enter recovery: `ssthresh` is the congestion control's new ssthresh, `recoverFs` the bytes
   * outstanding (SND.MAX - SND.UNA) when recovery began.
   */
  start(ssthresh: number, recoverFs: number): void {
    this.ssthresh = Math.max(finite(ssthresh), this.mss);
    this.recoverFs = Math.max(finite(recoverFs), 1);
    this.deliveredBytes = 0;
    this.sentBytes = 0;
  }

  /**
   * An ACK during recovery that delivered `deliveredBytes` (the advance of SND.UNA plus the change
   * of the SACKed bytes; without SACK, SMSS per duplicate ACK), with `pipe` (RFC 6675 SetPipe)
   * computed after it: return sndcnt, the bytes that may be sent now. The first ACK always
   * allows at least one segment (the fast retransmit); an ACK delivering nothing allows nothing.
   */
  onAck(deliveredBytes: number, pipe: number): number {
    const delivered = finite(deliveredBytes);
    // An ACK that delivered nothing (a window update) releases nothing, as in Linux.
    if (delivered === 0) return this.sentBytes === 0 ? this.mss : 0;
    this.deliveredBytes += delivered;
    pipe = finite(pipe);
    let sndcnt: number;
    if (pipe > this.ssthresh) {
      // Proportional: ssthresh/RecoverFS of what was delivered, less what was already sent.
      sndcnt = Math.ceil((this.deliveredBytes * this.ssthresh) / this.recoverFs) - this.sentBytes;
    } else {
      const limit = this.conservative
        ? this.deliveredBytes - this.sentBytes
        : Math.max(this.deliveredBytes - this.sentBytes, delivered) + this.mss;
      sndcnt = Math.min(this.ssthresh - pipe, limit);
    }
    if (this.sentBytes === 0) sndcnt = Math.max(sndcnt, this.mss);
    return Math.max(sndcnt, 0);
  }

  /** Record bytes sent (new or retransmitted) during recovery. */
  onSend(bytes: number): void {
    this.sentBytes += finite(bytes);
  }
}

function finite(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
