/**
 * A re-armable timer over the stack's `Clock`: TCP re-arms its retransmission and delayed-ACK
 * timers on nearly every segment, so instead of cancelling and scheduling each time it keeps one
 * scheduled callback and a deadline; the callback re-schedules itself when the deadline moved
 * later and does nothing when it was cleared.
 */
import type { Clock, Timer } from "../clock.js";

/** One connection timer (RTO, delayed ACK, keep-alive, persist, TIME-WAIT). */
export class ConnectionTimer {
  private deadline: number | undefined;
  private handle: Timer | undefined;
  private handleAt = 0;

  constructor(private readonly clock: Clock, private readonly fire: () => void) {}

  /** Return whether the timer is armed. */
  get armed(): boolean {
    return this.deadline !== undefined;
  }

  /** Return the time it fires at, or undefined. */
  get at(): number | undefined {
    return this.deadline;
  }

  /** Fire `delay` ms from now (replacing any earlier setting). */
  set(delay: number): void {
    const at = this.clock.now() + Math.max(0, delay);
    this.deadline = at;
    if (this.handle === undefined || this.handleAt > at) {
      this.handle?.cancel();
      this.handleAt = at;
      this.handle = this.clock.schedule(at - this.clock.now(), () => this.run());
    }
  }

  /** Arm only when not armed. */
  ensure(delay: number): void {
    if (this.deadline === undefined) this.set(delay);
  }

  /** Disarm (the scheduled callback, if any, finds nothing to do). */
  clear(): void {
    this.deadline = undefined;
  }

  /** Disarm and cancel the scheduled callback (the connection is going away). */
  stop(): void {
    this.deadline = undefined;
    this.handle?.cancel();
    this.handle = undefined;
  }

  private run(): void {
    this.handle = undefined;
    const d = this.deadline;
    if (d === undefined) return;
    const now = this.clock.now();
    if (d > now) {
      this.handleAt = d;
      this.handle = this.clock.schedule(d - now, () => this.run());
      return;
    }
    this.deadline = undefined;
    this.fire();
  }
}
