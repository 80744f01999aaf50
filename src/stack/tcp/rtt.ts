/**
 * The retransmission timer's value, RFC 6298: a smoothed RTT (SRTT) and its variation (RTTVAR)
 * from samples, RTO = SRTT + max(G, 4 * RTTVAR) bounded by `minRto` and `maxRto`, doubled on
 * each expiry (5.5) until the next sample. Pure arithmetic on milliseconds; the sender takes
 * samples (Karn's rule, timestamps) and runs the timer.
 */
import { WirecraftError } from "../../errors.js";

/** The estimator's bounds, in milliseconds. */
export interface RttOptions {
  /** The smallest RTO (2.4: 1000 ms; Linux uses 200). */
  readonly minRto?: number;
  /** The largest RTO (2.5: at least 60 s; 60000 by default). */
  readonly maxRto?: number;
  /** The RTO before the first sample (2.1: 1000 ms). */
  readonly initialRto?: number;
  /** The clock granularity G (1 ms by default). */
  readonly granularity?: number;
}

const ALPHA = 1 / 8;
const BETA = 1 / 4;
const K = 4;

/** RFC 6298's SRTT, RTTVAR and RTO, fed with RTT samples in milliseconds. */
export class RttEstimator {
  private smoothed: number | undefined = undefined;
  private variation: number | undefined = undefined;
  private timeout: number;
  private doublings = 0;
  private readonly minRto: number;
  private readonly maxRto: number;
  private readonly initialRto: number;
  private readonly granularity: number;

  constructor(options: RttOptions = {}) {
    this.minRto = positive("minRto", options.minRto ?? 1000);
    this.maxRto = positive("maxRto", options.maxRto ?? 60_000);
    this.initialRto = positive("initialRto", options.initialRto ?? 1000);
    this.granularity = positive("granularity", options.granularity ?? 1, true);
    if (this.minRto > this.maxRto) {
      throw new WirecraftError("ERR_INVALID_ARG_VALUE", `RttEstimator: minRto ${this.minRto} is above maxRto ${this.maxRto}`);
    }
    this.timeout = this.clamp(this.initialRto);
  }

  /** The smoothed round-trip time in milliseconds, or undefined before the first sample. */
  get srtt(): number | undefined { return this.smoothed; }
  /** The round-trip time variation in milliseconds, or undefined before the first sample. */
  get rttvar(): number | undefined { return this.variation; }
  /** The current retransmission time-out in milliseconds (backed off by `backoff()`). */
  get rto(): number { return this.timeout; }
  /** How many times `backoff()` doubled the RTO since the last sample or reset. */
  get backoffs(): number { return this.doublings; }

  /**
   * Take a round-trip time measurement (2.2 for the first, 2.3 after) and recompute the RTO,
   * which also ends any back-off. Negative or non-finite samples are ignored.
   */
  sample(rttMs: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) return;
    let srtt = this.smoothed;
    let rttvar = this.variation;
    if (srtt === undefined || rttvar === undefined) {
      srtt = rttMs;
      rttvar = rttMs / 2;
    } else {
      // RTTVAR first, with the old SRTT (2.3).
      rttvar = (1 - BETA) * rttvar + BETA * Math.abs(srtt - rttMs);
      srtt = (1 - ALPHA) * srtt + ALPHA * rttMs;
    }
    this.smoothed = srtt;
    this.variation = rttvar;
    this.doublings = 0;
    this.timeout = this.clamp(srtt + Math.max(this.granularity, K * rttvar));
  }

  /** Double the RTO after the timer expired (5.5), up to `maxRto`. */
  backoff(): void {
    this.doublings++;
    this.timeout = Math.min(this.timeout * 2, this.maxRto);
  }

  /**
   * Forget SRTT and RTTVAR (5.7 allows it after several back-offs, the estimates being likely
   * bogus): the RTO returns to `initialRto` and the next sample starts afresh.
   */
  reset(): void {
    this.smoothed = undefined;
    this.variation = undefined;
    this.doublings = 0;
    this.timeout = this.clamp(this.initialRto);
  }

  private clamp(rto: number): number {
    return Math.min(Math.max(rto, this.minRto), this.maxRto);
  }
}

function positive(name: string, value: number, zero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!zero && value === 0)) {
    throw new WirecraftError("ERR_INVALID_ARG_VALUE", `RttEstimator: ${name} must be a ${zero ? "non-negative" : "positive"} number of milliseconds (got ${value})`);
  }
  return value;
}
