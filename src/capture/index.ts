/** Capture files: pcap and pcapng readers (in memory and streaming) and writers. */
export { CaptureError, type CaptureErrorCode } from "./errors.js";
export { type CaptureRecord, type RecordInit, LinkType, type LinkTypeName, formatTime, parseTime } from "./record.js";
export {
  PCAP_MAGIC,
  PCAP_MAGIC_NS,
  type PcapHeader,
  PcapReader,
  PcapWriter,
  type PcapWriterOptions,
  encodePcap,
  isPcap,
  readPcapSync,
} from "./pcap.js";
export {
  type InterfaceStatistics,
  type NameEntry,
  PcapngBlockType,
  type PcapngInterface,
  PcapngReader,
  type PcapngSection,
  isPcapng,
  readPcapngSync,
} from "./pcapng.js";
export { type PcapngInterfaceInit, PcapngWriter, type PcapngWriterOptions, encodePcapng } from "./pcapng-writer.js";
export { CaptureReader, type CaptureSource, type ReadOptions, type WriteOptions, readPcap, writePcap } from "./read.js";
