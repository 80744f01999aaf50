/*
 * A buffered byte sink over a Node Writable, shared by the writers. Encoders write straight into
 * the sink's current chunk; full chunks are handed to the stream (never reused) and the writer
 * waits for 'drain' when the stream asks it to.
 */
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";

const CHUNK = 64 * 1024;

/** A buffered, backpressure-aware byte sink (internal). */
export class ByteSink {
  /** The current chunk; write at `len` after `reserve`. */
  buf: Uint8Array = new Uint8Array(CHUNK);
  /** The current chunk as a DataView. */
  dv: DataView = new DataView(this.buf.buffer);
  /** Bytes used in the current chunk. */
  len = 0;
  private readonly stream: Writable;
  private readonly ownStream: boolean;
  private readonly endStream: boolean;
  private error: Error | undefined;
  private closed = false;

  constructor(target: Writable | string, end = true) {
    this.ownStream = typeof target === "string";
    this.stream = typeof target === "string" ? createWriteStream(target) : target;
    this.endStream = this.ownStream || end;
    this.stream.on("error", (err: Error) => {
      this.error ??= err;
    });
  }

  /** Make room for `n` bytes at `this.len`, handing the current chunk to the stream if needed. */
  reserve(n: number): void {
    if (this.closed) throw new Error("capture writer is closed");
    if (this.len + n <= this.buf.length) return;
    this.push();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(n);
      this.dv = new DataView(this.buf.buffer);
    }
  }

  /** Resolve when the stream can take more; flush if the chunk is full enough. */
  settle(): Promise<void> | undefined {
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.len >= CHUNK - 64) this.push();
    if (this.stream.writableNeedDrain) return this.drain();
    return undefined;
  }

  /** Hand buffered bytes to the stream and wait for it to drain if needed. */
  async flush(): Promise<void> {
    if (this.len > 0) this.push();
    if (this.stream.writableNeedDrain) await this.drain();
    if (this.error !== undefined) throw this.error;
  }

  /** Flush, end the stream (unless told not to) and wait until it has finished. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (!this.endStream) return;
    const s = this.stream;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        s.off("error", fail);
        resolve();
      };
      const fail = (err: Error): void => {
        s.off(this.ownStream ? "close" : "finish", done);
        reject(err);
      };
      s.once("error", fail);
      s.once(this.ownStream ? "close" : "finish", done);
      s.end();
    });
    if (this.error !== undefined) throw this.error;
  }

  private push(): void {
    if (this.len === 0) return;
    this.stream.write(this.buf.subarray(0, this.len));
    this.buf = new Uint8Array(CHUNK);
    this.dv = new DataView(this.buf.buffer);
    this.len = 0;
  }

  private drain(): Promise<void> {
    const s = this.stream;
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        s.off("drain", done);
        s.off("error", fail);
        s.off("close", done);
        if (this.error !== undefined) reject(this.error);
        else resolve();
      };
      const fail = (err: Error): void => {
        this.error ??= err;
        done();
      };
      s.on("drain", done);
      s.on("error", fail);
      s.on("close", done);
    });
  }
}

/** A growable in-memory byte sink with the same shape as ByteSink (internal). */
export class MemorySink {
  buf: Uint8Array = new Uint8Array(4096);
  dv: DataView = new DataView(this.buf.buffer);
  len = 0;

  /** Make room for `n` bytes at `this.len`. */
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** Return the bytes written so far. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
