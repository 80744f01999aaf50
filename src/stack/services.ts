/**
 * Small UDP services for testing a stack, like PyTCP's examples and inetd's internal services:
 * echo (RFC 862, port 7: each datagram sent back), discard (RFC 863, port 9: datagrams counted and
 * dropped) and daytime (RFC 867, port 13: any datagram answered with the date as text).
 *
 *   const services = startServices(stack, ["echo", "daytime"], (line) => console.log(line));
 *   services.close();
 */
import type { Stack } from "./stack.js";
import type { RemoteInfo, UdpSocket } from "./udp.js";

/** The services, by name, with their well-known ports. */
export const ServicePort = { echo: 7, discard: 9, daytime: 13 } as const;
export type ServiceName = keyof typeof ServicePort;

/** Return whether `name` is a service `startServices()` knows. */
export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(ServicePort, name);
}

/** Running services: datagrams handled per service, and `close()`. */
export interface Services {
  readonly handled: Readonly<Record<ServiceName, number>>;
  close(): void;
}

/** The daytime text (RFC 867 leaves the syntax free): the UTC date, CR LF. */
export function daytime(date: Date): string {
  return `${date.toUTCString()}\r\n`;
}

/**
 * Bind one UDP socket per service on `stack`; `log` (if given) gets one line per datagram handled
 * and per socket error. `now` gives the daytime's date (default: the system's).
 */
export function startServices(stack: Stack, names: readonly ServiceName[], log?: (line: string) => void, now: () => Date = () => new Date()): Services {
  const handled: Record<ServiceName, number> = { echo: 0, discard: 0, daytime: 0 };
  const sockets: UdpSocket[] = [];
  const from = (r: RemoteInfo): string => `${r.address}:${r.port}`;
  for (const name of new Set(names)) {
    const s = stack.createSocket("udp4");
    s.on("error", (e) => log?.(`${name}: ${e.message}`));
    s.on("message", (msg, rinfo) => {
      handled[name]++;
      switch (name) {
        case "echo":
          log?.(`echo: ${msg.length} bytes from ${from(rinfo)}, sent back`);
          s.send(msg, rinfo.port, rinfo.address);
          break;
        case "discard":
          log?.(`discard: ${msg.length} bytes from ${from(rinfo)}`);
          break;
        case "daytime":
          log?.(`daytime: asked by ${from(rinfo)}`);
          s.send(daytime(now()), rinfo.port, rinfo.address);
          break;
      }
    });
    s.bind(ServicePort[name]);
    sockets.push(s);
  }
  return { handled, close: () => { for (const s of sockets) s.close(); } };
}
