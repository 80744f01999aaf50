/**
 * kifurushi's Disney protocol, in wirecraft: three fields, one shown in hex, one an enum; a client
 * sets a field by name, sends the bytes over UDP to a server on loopback port 14006, and parses
 * the reply.
 *
 *   node build/examples/disney.js
 */
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { defineProtocol, field, packet, type Infer } from "../src/index.js";

/** The Disney protocol of the kifurushi article. */
export const Disney = defineProtocol("Disney", {
  mickey: field.uint16({ default: 2 }),
  minnie: field.uint8({ default: 3, hex: true }),
  donald: field.uint32({ default: 1, enum: { 1: "pizza", 2: "burger", 3: "sushi" } }),
});
export type Disney = Infer<typeof Disney>;

/** The port of the article's server. */
export const DISNEY_PORT = 14006;

/** Start a server that answers each Disney request with mickey doubled and donald set to sushi. */
export async function startDisneyServer(port = DISNEY_PORT): Promise<Socket> {
  const server = createSocket("udp4");
  server.on("message", (msg, rinfo) => {
    let request;
    try {
      request = Disney.parse(msg);
    } catch {
      return; // not a Disney packet: ignore it, as a real server would
    }
    const reply = Disney({ mickey: (request.mickey * 2) & 0xffff, minnie: request.minnie, donald: "sushi" });
    server.send(packet(reply).bytes(), rinfo.port, rinfo.address);
  });
  server.bind(port, "127.0.0.1");
  await once(server, "listening");
  return server;
}

/** Send one request (with `mickey` set by name) and return the parsed reply. */
export async function askDisney(mickey: number, port = DISNEY_PORT, timeoutMs = 2000): Promise<Disney> {
  const client = createSocket("udp4");
  try {
    const request = Disney();
    request.mickey = mickey; // set a field by name
    client.send(packet(request).bytes(), port, "127.0.0.1");
    const [msg] = (await Promise.race([
      once(client, "message"),
      new Promise((_, reject) => setTimeout(() => reject(new Error("no reply from the Disney server")), timeoutMs)),
    ])) as [Buffer];
    return Disney.parse(msg).toObject();
  } finally {
    client.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startDisneyServer();
  const request = Disney({ mickey: 21 });
  console.log("request:\n" + request.show());
  const reply = await askDisney(21);
  console.log("reply:", reply);
  server.close();
}
