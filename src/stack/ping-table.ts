/**
 * The pings in flight of `stack.ping()`, for ICMP and ICMPv6 alike: a sequence number per ping,
 * its time-out on the stack's clock, and the promise settled by the reply, an error or the time-out.
 */
import type { Clock, Timer } from "./clock.js";
import { PingError, type PingOptions, type PingReply } from "./icmp.js";

interface Waiter<A> {
  readonly sent: number;
  readonly dst: A;
  readonly timer: Timer;
  readonly resolve: (r: PingReply) => void;
  readonly reject: (e: Error) => void;
}

/** A bounded table of pings in flight to addresses of type `A` (a number for IPv4, text for IPv6). */
export class PingTable<A> {
  private readonly waiters = new Map<number, Waiter<A>>();
  private seq = 0;

  constructor(private readonly clock: Clock, private readonly limit: number) {}

  /**
   * Start a ping to `dst` (`text` names it in errors): `send(seq, data)` sends the echo request and
   * returns why it could not, if it could not.
   */
  start(dst: A, text: string, options: PingOptions, send: (seq: number, data: Uint8Array) => string | undefined): Promise<PingReply> {
    return new Promise((resolve, reject) => {
      if (this.waiters.size >= this.limit) { reject(new PingError("ENOBUFS", `more than ${this.limit} pings in flight`)); return; }
      let seq = this.seq;
      for (let i = 0; i < 65536 && this.waiters.has(seq); i++) seq = (seq + 1) & 0xffff;
      this.seq = (seq + 1) & 0xffff;
      const size = options.size ?? 56;
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = (i + 8) & 0xff;
      const timeout = options.timeout ?? 1000;
      const timer = this.clock.schedule(timeout, () => {
        if (this.waiters.get(seq)?.timer !== timer) return;
        this.waiters.delete(seq);
        reject(new PingError("ETIMEDOUT", `no echo reply from ${text} in ${timeout} ms (seq ${seq})`));
      });
      this.waiters.set(seq, { sent: this.clock.now(), dst, timer, resolve, reject });
      const failure = send(seq, data);
      if (failure !== undefined) {
        timer.cancel();
        this.waiters.delete(seq);
        reject(new PingError(failure, `cannot send to ${text}: ${failure}`));
      }
    });
  }

  /** Whether ping `seq` is in flight. */
  has(seq: number): boolean {
    return this.waiters.has(seq);
  }

  /** Settle ping `seq` with its reply from `from`; false when no ping to `from` has that number. */
  reply(seq: number, from: A, reply: (elapsed: number) => PingReply): boolean {
    const w = this.waiters.get(seq);
    if (w === undefined || w.dst !== from) return false;
    this.waiters.delete(seq);
    w.timer.cancel();
    w.resolve(reply(this.clock.now() - w.sent));
    return true;
  }

  /** Fail ping `seq` with `error`; false when it is not in flight. */
  fail(seq: number, error: () => Error): boolean {
    const w = this.waiters.get(seq);
    if (w === undefined) return false;
    this.waiters.delete(seq);
    w.timer.cancel();
    w.reject(error());
    return true;
  }

  /** Reject every ping in flight (the stack is closing). */
  close(): void {
    for (const w of this.waiters.values()) {
      w.timer.cancel();
      w.reject(new PingError("ECANCELED", "the stack closed"));
    }
    this.waiters.clear();
  }
}
