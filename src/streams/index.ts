/** Streams of captured traffic: IP defragmentation, TCP reassembly, HTTP/1 messages. */
import type { CaptureRecord } from "../capture/record.js";
import { dissectFrames, type FrameOptions } from "./frames.js";
import { TcpReassembler, type TcpReassemblyOptions, type TcpStream } from "./tcp.js";

export { IpDefragmenter, type DefragOptions, type DefragResult, type DefragStats } from "./defrag.js";
export { dissectFrames, ipBytes, type Frame, type FrameOptions } from "./frames.js";
export {
  TcpReassembler, TcpConnection, streamBytes, tcpLayers,
  type TcpChunk, type TcpEndpoint, type TcpGap, type TcpReassemblyOptions, type TcpStream,
} from "./tcp.js";
export { HttpParser, header as httpHeader, httpMessages, type HttpMessage, type HttpRequest, type HttpResponse, type HttpExchange, httpExchanges } from "./http.js";

/**
 * Yield each TCP connection of a capture once it ends (FIN both ways, RST, a new SYN on its
 * ports, or the end of the input), with both byte streams in order and what went wrong.
 * IP fragments are reassembled first unless `defragment: false`.
 */
export async function* tcpStreams(records: AsyncIterable<CaptureRecord> | Iterable<CaptureRecord>, options: FrameOptions & TcpReassemblyOptions = {}): AsyncGenerator<TcpStream, void, undefined> {
  const tcp = new TcpReassembler(options);
  for await (const f of dissectFrames(records, options)) {
    if (f.fragment !== undefined) continue;
    const r = tcp.push(f.packet, f.number, f.record.time);
    if (r !== undefined) yield* r.ended;
  }
  yield* tcp.flush();
}
