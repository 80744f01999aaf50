/**
 * The TCP variants of inetd's small services for a stack: echo (RFC 862, port 7: bytes sent back,
 * with back-pressure through `pipe`), discard (RFC 863, port 9: bytes counted and dropped), daytime
 * (RFC 867, port 13: the date, then close) and chargen (RFC 864, port 19: the rotating 72-character
 * lines until the client goes, written only as fast as the client reads).
 */
import type { Stack } from "./stack.js";
import { tcpServing, type ServiceServer, type ServiceSocket } from "./http-service.js";

/** The 95 printable ASCII characters chargen rotates through (RFC 864). */
const PRINTABLE = 95;
/** Characters per chargen line, before CR LF. */
export const CHARGEN_LINE = 72;

let cycle: Buffer | undefined;

/** Return one full chargen cycle: 95 lines of 72 characters + CR LF, each starting one character later. */
export function chargenCycle(): Buffer {
  if (cycle === undefined) {
    cycle = Buffer.alloc(PRINTABLE * (CHARGEN_LINE + 2));
    let at = 0;
    for (let line = 0; line < PRINTABLE; line++) {
      for (let j = 0; j < CHARGEN_LINE; j++) cycle[at++] = 32 + ((line + j) % PRINTABLE);
      cycle[at++] = 13;
      cycle[at++] = 10;
    }
  }
  return cycle;
}

/** The TCP services by name. */
export type TcpServiceName = "echo" | "discard" | "daytime" | "chargen";

/** Bytes in and out and connections of one TCP service. */
export interface TcpServiceCounters {
  connections: number;
  bytesIn: number;
  bytesOut: number;
}

/** Start one TCP service on `port`; return its server (close it to stop). */
export function startTcpService(
  stack: Stack, name: TcpServiceName, port: number, counters: TcpServiceCounters, log?: (line: string) => void, now: () => Date = () => new Date(),
): ServiceServer {
  const tcp = tcpServing(stack);
  if (tcp === undefined) throw new TypeError(`this stack has no TCP: the TCP ${name} service needs stack.createServer()`);
  const server = tcp.createServer((socket: ServiceSocket) => {
    counters.connections++;
    const who = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    log?.(`${name}/tcp: connection from ${who}`);
    let bytesIn = 0;
    let bytesOut = 0;
    socket.on("error", (e: Error) => log?.(`${name}/tcp: ${who}: ${e.message}`));
    socket.on("close", () => log?.(`${name}/tcp: ${who} closed (${bytesIn} bytes in, ${bytesOut} out)`));
    switch (name) {
      case "echo":
        socket.on("data", (d: Buffer) => { bytesIn += d.length; bytesOut += d.length; counters.bytesIn += d.length; counters.bytesOut += d.length; });
        socket.pipe(socket); // back-pressure both ways; the client's FIN ends our side
        break;
      case "discard":
        socket.on("data", (d: Buffer) => { bytesIn += d.length; counters.bytesIn += d.length; });
        socket.on("end", () => socket.end());
        break;
      case "daytime": {
        const text = Buffer.from(`${now().toUTCString()}\r\n`);
        bytesOut += text.length;
        counters.bytesOut += text.length;
        socket.resume();
        socket.end(text);
        break;
      }
      case "chargen": {
        const c = chargenCycle();
        let stopped = false;
        const pump = (): void => {
          while (!stopped) {
            bytesOut += c.length;
            counters.bytesOut += c.length;
            if (!socket.write(c)) { socket.once("drain", pump); return; }
          }
        };
        const stop = (): void => { stopped = true; socket.off("drain", pump); };
        socket.on("data", (d: Buffer) => { bytesIn += d.length; counters.bytesIn += d.length; }); // ignored, as RFC 864 says
        socket.on("end", () => { stop(); socket.end(); });
        socket.on("close", stop);
        pump();
        break;
      }
    }
  });
  server.on("error", (e) => log?.(`${name}/tcp: ${e.message}`));
  server.listen(port);
  return server;
}
