/**
 * CUBIC congestion control, RFC 9438. After a congestion event the window follows
 * W_cubic(t) = C * (t - K)^3 + W_max (in segments, t in seconds since congestion avoidance began,
 * K = cbrt((W_max - cwnd_epoch) / C)): concave up to the old maximum W_max, then convex beyond.
 * Each ACK moves cwnd toward W_cubic(t + RTT) (at most +50% per RTT, 4.4/4.5), never below the
 * Reno-friendly estimate W_est (4.3). Losses multiply the window by beta = 0.7 (4.6); with fast
 * convergence a flow losing below its previous maximum releases bandwidth sooner (4.7); a time-out
 * restarts the curve with K = 0 (4.8). Slow start, recovery and the time-out are Reno's (reno.ts).
 * HyStart is not implemented: slow start ends at the first loss, as RFC 5681's.
 */
import { WindowControl } from "./reno.js";

/** CUBIC's constant C (segments per second cubed). */
export const CUBIC_C = 0.4;
/** CUBIC's multiplicative decrease factor. */
export const CUBIC_BETA = 0.7;
/** The Reno-friendly additive increase (segments per RTT) while W_est is below cwnd_prior: 3(1-beta)/(1+beta). */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

/** Options of `Cubic`. */
export interface CubicOptions {
  /** RFC 9438 4.7 fast convergence (true). */
  readonly fastConvergence?: boolean;
}

/** RFC 9438 CUBIC, with windows in bytes and time in milliseconds from the caller's clock. */
export class Cubic extends WindowControl {
  readonly name: string = "cubic";
  private readonly fastConvergence: boolean;
  /** W_max in bytes: the window before the last reduction (or reduced by fast convergence). */
  private maximum: number | undefined = undefined;
  /** The curve's plateau in bytes for this epoch (W_max, or cwnd_epoch when already above it). */
  private origin = 0;
  /** K in seconds for this epoch. */
  private period = 0;
  /** When this congestion avoidance stage (epoch) began, ms; undefined until its first ACK. */
  private epochStart: number | undefined = undefined;
  /** W_est in bytes (4.3). */
  private estimate = 0;
  /** cwnd_prior: the window when the last congestion event happened. */
  private prior = 0;
  private rtt: number | undefined = undefined;
  private lastAck: number | undefined = undefined;
  private lastNow = 0;

  constructor(mss: number, options: CubicOptions = {}) {
    super(mss);
    this.fastConvergence = options.fastConvergence ?? true;
  }

  /** W_max in bytes, or undefined before the first congestion event and after a time-out. */
  get wMax(): number | undefined {
    return this.maximum;
  }

  /** K in seconds for the current congestion avoidance stage (0 before it starts). */
  get k(): number {
    return this.period;
  }

  /** The Reno-friendly estimate W_est in bytes for the current stage. */
  get wEst(): number {
    return this.estimate;
  }

  /** W_cubic(t) in bytes, `t` seconds after the current stage began (RFC 9438 figure 1). */
  cubicWindow(t: number): number {
    const x = t - this.period;
    return CUBIC_C * x * x * x * this.mss + this.origin;
  }

  override onAck(ackedBytes: number, now: number, rttMs: number | undefined, flightSize: number): void {
    if (rttMs !== undefined && Number.isFinite(rttMs) && rttMs >= 0) this.rtt = rttMs;
    now = this.clock(now);
    super.onAck(ackedBytes, now, rttMs, flightSize);
    if (ackedBytes > 0) this.lastAck = now;
  }

  override onIdleRestart(now: number): void {
    now = this.clock(now);
    super.onIdleRestart(now);
    // The idle time is not growth time (RFC 9438 5.8): shift the epoch by it, as Linux does.
    if (this.epochStart !== undefined && this.lastAck !== undefined && now > this.lastAck) this.epochStart += now - this.lastAck;
  }

  /** `now`, or the last finite time seen when the caller's is not a finite number. */
  private clock(now: number): number {
    if (Number.isFinite(now)) this.lastNow = now;
    return this.lastNow;
  }

  protected reduce(now: number, flightSize: number): number {
    const cwnd = this.window;
    this.maximum = this.fastConvergence && this.maximum !== undefined && cwnd < this.maximum
      ? (cwnd * (1 + CUBIC_BETA)) / 2
      : cwnd;
    this.prior = cwnd;
    this.epochStart = undefined;
    return flightSize * CUBIC_BETA;
  }

  protected override reduceOnTimeout(now: number, flightSize: number): number {
    const threshold = this.reduce(now, flightSize);
    this.maximum = undefined; // 4.8: the next stage starts with K = 0 and W_max = its cwnd
    return threshold;
  }

  protected avoid(ackedBytes: number, now: number): void {
    const mss = this.mss;
    if (this.epochStart === undefined) {
      this.epochStart = now;
      const cwnd = this.window;
      if (this.maximum === undefined || this.maximum <= cwnd) {
        if (this.maximum === undefined) this.maximum = cwnd;
        this.origin = cwnd;
        this.period = 0;
      } else {
        this.origin = this.maximum;
        this.period = Math.cbrt((this.maximum - cwnd) / mss / CUBIC_C);
      }
      this.estimate = cwnd;
      if (this.prior === 0) this.prior = cwnd;
    }
    const t = (now - this.epochStart) / 1000;
    const rtt = (this.rtt ?? 0) / 1000;
    const cwnd = this.window;
    ackedBytes = Math.min(ackedBytes, cwnd); // a stretch ACK counts for at most one window
    // 4.3: W_est grows by alpha segments per window of ACKed bytes; alpha = 1 once past cwnd_prior.
    const alpha = this.estimate >= this.prior ? 1 : CUBIC_ALPHA;
    this.estimate += (alpha * ackedBytes * mss) / cwnd;
    // 4.4/4.5: move toward W_cubic(t + RTT), within [cwnd, 1.5 cwnd].
    const target = Math.min(Math.max(this.cubicWindow(t + rtt), cwnd), 1.5 * cwnd);
    let next = cwnd + (ackedBytes * (target - cwnd)) / cwnd;
    if (this.cubicWindow(t) < this.estimate && this.estimate > next) next = this.estimate; // Reno-friendly region
    this.window = next;
  }

  protected partialAck(ackedBytes: number): void {
    this.deflate(ackedBytes); // RFC 9438 4.6 keeps RFC 6582 recovery
  }
}
