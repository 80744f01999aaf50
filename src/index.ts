/**
 * wirecraft: define a protocol once and get typed packets; craft and dissect packets fast.
 */
export {
  WirecraftError, DefinitionError, FieldRangeError, UnknownFieldError, TruncatedError, MalformedError,
  LinkError, ErrorCode,
} from "./errors.js";
export type { ErrorCode as ErrorCodeValue } from "./errors.js";
export { defineProtocol, field } from "./schema/protocol.js";
export type {
  Protocol, AnyProtocol, Layer, AnyLayer, LayerOf, LayerMethods, Infer, InferInit, Shape, Values,
  InitValues, ProtocolOptions, FieldInfo, ListOptions,
} from "./schema/protocol.js";
export type {
  Field, ReadOf, InitOf, ChecksumContext, ChecksumFn, LengthSpec, Condition, CommonOptions, IntOptions,
  BigIntOptions, BytesOptions, StringOptions, AddressOptions, PaddingOptions,
} from "./schema/field.js";
export type { FieldValues } from "./schema/expression.js";
export { parseHex, toHex } from "./schema/address.js";
export { invert } from "./schema/field.js";
export { bind } from "./packet/bind.js";
export { packet, dissect, createDissector, Packet } from "./packet/packet.js";
export type { DissectOptions, ChecksumCheck, LayerInput } from "./packet/packet.js";
export type { BuildOptions } from "./packet/build.js";
export { hexdump, describe } from "./packet/display.js";
export { internetChecksum, onesComplementSum, finishChecksum } from "./packet/checksum.js";
export { Raw, Padding } from "./protocols/raw.js";
export { Ethernet, Dot3, EtherType } from "./protocols/ethernet.js";
export { IPv4, IpProtocol } from "./protocols/ipv4.js";
export { IPv6 } from "./protocols/ipv6.js";
export { UDP } from "./protocols/udp.js";
export { LLC, Sap } from "./protocols/llc.js";
export { SNAP } from "./protocols/snap.js";
export { Dot1Q, Dot1AD } from "./protocols/dot1q.js";
export { ARP, ArpOpcode, ArpHardware } from "./protocols/arp.js";
export { SLL, SLL2, SllPacketType } from "./protocols/sll.js";
export { Null, Loop, NullLink, LoopbackFamily } from "./protocols/null.js";
export { RawIP } from "./protocols/raw-ip.js";
export { IPv4Option, IPv4OptionType, IPv4RouteAddress, timestampEntries } from "./protocols/ipv4-options.js";
export { IPv6HopByHop, IPv6DestinationOptions, IPv6Option, IPv6OptionType } from "./protocols/ipv6-options.js";
export { IPv6Routing, IPv6RouteAddress } from "./protocols/ipv6-routing.js";
export { IPv6Fragment } from "./protocols/ipv6-fragment.js";
export {
  ICMP, ICMPEcho, ICMPDestinationUnreachable, ICMPRedirect, ICMPTimeExceeded, ICMPParameterProblem, IcmpType,
  IcmpUnreachableCode,
} from "./protocols/icmp.js";
export {
  ICMPv6, ICMPv6Echo, ICMPv6DestinationUnreachable, ICMPv6PacketTooBig, ICMPv6TimeExceeded, ICMPv6ParameterProblem,
  Icmpv6Type,
} from "./protocols/icmpv6.js";
export {
  NDPRouterSolicitation, NDPRouterAdvertisement, NDPNeighborSolicitation, NDPNeighborAdvertisement, NDPRedirect,
  NDPOption, NDPAddress, NdpOptionType,
} from "./protocols/ndp.js";
export { MLD, MLDv2Query, MLDv2Report, MLDv2Record, MLDSource, MulticastRecordType } from "./protocols/mld.js";
export { IGMP, IGMPv3, IGMPv3Query, IGMPv3Report, IGMPv3Record, IGMPv3Source, IgmpType, IGMPMessage } from "./protocols/igmp.js";
export {
  CaptureError, LinkType, formatTime, parseTime, PcapReader, PcapWriter, encodePcap, isPcap, readPcapSync,
  PcapngBlockType, PcapngReader, isPcapng, readPcapngSync, PcapngWriter, encodePcapng, CaptureReader,
  readPcap, writePcap, PCAP_MAGIC, PCAP_MAGIC_NS,
} from "./capture/index.js";
export type {
  CaptureErrorCode, CaptureRecord, RecordInit, LinkTypeName, PcapHeader, PcapWriterOptions,
  InterfaceStatistics, NameEntry, PcapngInterface, PcapngSection, PcapngInterfaceInit, PcapngWriterOptions,
  CaptureSource, ReadOptions, WriteOptions,
} from "./capture/index.js";
export { registerLinkType, protocolForLinkType } from "./capture/link.js";
export { fuzz, seededRandom } from "./packet/fuzz.js";
export type { FuzzOptions } from "./packet/fuzz.js";
export { TCP, TCPOption, TCPSackBlock, TcpOptionKind, TcpFlags, flagText } from "./protocols/tcp.js";
export { GRE, GreProtocolType } from "./protocols/gre.js";
export { VXLAN, VXLAN_PORT } from "./protocols/vxlan.js";
export { DNS, DNSQuestion, DNSRecord, DNSTCP, DnsClass, DnsOpcode, DnsRcode, DnsPort, DnsType } from "./protocols/dns.js";
export type { DnsData, EdnsOption, MxData, SoaData, SrvData } from "./protocols/dns.js";
export { DHCP, DHCPOption, DhcpOptionCode, DhcpMessageType, BootpOp, DhcpPort, DHCP_MAGIC_COOKIE, chaddr } from "./protocols/dhcp.js";
export { DHCPv6, DHCPv6Option, DHCPv6SubOption, Dhcpv6MessageType, Dhcpv6OptionCode, DuidType, Dhcpv6Port } from "./protocols/dhcpv6.js";
export { NTP, NtpMode, NTP_PORT, ntpTime, ntpDate } from "./protocols/ntp.js";
export type { CustomSpec, CustomReadContext, CustomWriteContext } from "./schema/custom.js";
export { compileFilter, protocolsIn, parseFilter, FilterError, FILTER_ERROR, PROTOCOL_ALIASES } from "./filter/index.js";
export type { FilterPredicate, FrameInfo } from "./filter/index.js";
export {
  tcpStreams, TcpReassembler, streamBytes, IpDefragmenter, dissectFrames, HttpParser, httpMessages, httpExchanges,
  httpHeader,
} from "./streams/index.js";
export type {
  TcpStream, TcpChunk, TcpEndpoint, TcpGap, TcpReassemblyOptions, DefragOptions, DefragResult, DefragStats, Frame,
  FrameOptions, HttpMessage, HttpRequest, HttpResponse, HttpExchange,
} from "./streams/index.js";
export {
  Tap, PacketSocket, RawSocket, ALL_PROTOCOLS, NativeLink, compileBpf, parseBpf, packBpf, send, sniff, sr, sr1, answers,
  registerAnswer, template, sweep, sweepSize, range, cidr, nativeAvailable, BUILD_HINT,
} from "./live/index.js";
export type {
  TapOptions, TapOffloads, PacketSocketOptions, Link, Frame as LiveFrame, FramesOptions, Direction, BpfInstruction,
  BpfFilter, BpfLinkType, Where, Sniffed, SniffOptions, SrOptions, SrResult, AnswerRule, LayerTemplate, TemplateValues,
  SweepInput,
} from "./live/index.js";
// The userspace stack (a preview: ARP, IPv4, ICMP and UDP over any frame link; see src/stack/README.md).
export { Stack } from "./stack/stack.js";
export type { StackOptions, StaticRoute } from "./stack/stack.js";
export { VirtualClock, SystemClock } from "./stack/clock.js";
export type { Clock, Timer, VirtualClockOptions } from "./stack/clock.js";
export { memoryLinkPair, MemoryLink, fromLiveLink } from "./stack/link.js";
export type { FrameLink, MemoryLinkOptions, LinkImpairments, MemoryLinkCounters, LiveLinkOptions } from "./stack/link.js";
export { defaultStackConfig } from "./stack/config.js";
export type { StackConfig, StackConfigInput } from "./stack/config.js";
export { DropReason, dropChannel } from "./stack/stats.js";
export type { StackStats, DropMessage } from "./stack/stats.js";
export { UdpSocket, SocketError } from "./stack/udp.js";
export type { RemoteInfo, AddressInfo, SendCallback } from "./stack/udp.js";
export { PingError } from "./stack/icmp.js";
export type { PingReply, PingOptions } from "./stack/icmp.js";
export type { ArpEntry } from "./stack/arp.js";
export type { RouteEntry } from "./stack/route.js";
export { PingSocket } from "./stack/ping.js";
export type { EchoReply, EchoSendOptions, PingSocketEvents } from "./stack/ping.js";
export type { AddressConflict } from "./stack/conflict.js";
export type { StackEvents } from "./stack/stack.js";
export { DhcpClient } from "./stack/dhcp.js";
export type { DhcpLease, DhcpState, DhcpEvents, DhcpClientOptions } from "./stack/dhcp.js";
export { startServices, ServicePort } from "./stack/services.js";
export type { ServiceName, Services } from "./stack/services.js";
export { DnsResolver, DnsError } from "./stack/dns.js";
export type { DnsConfig, VlanConfig } from "./stack/config.js";

// The stack's IPv6 network layer (issue 8): addresses, neighbour discovery, MLD, ICMPv6 (see docs/ipv6.md).
export type { Ipv6Config } from "./stack/config.js";
export type { Address6Info } from "./stack/inet6.js";
export type { NeighbourEntry, NeighbourState } from "./stack/ndp.js";
export type { AddressState6, AddressOrigin6, Arrival6, Send6Options, Send6Failure } from "./stack/ipv6.js";
export type { Icmpv6ErrorInfo } from "./stack/icmpv6.js";
export { eui64, stableInterfaceId, solicitedNode, multicastMac6 } from "./stack/address6.js";
// TCP loss recovery and congestion control (pure algorithms; see docs/tcp.md).
export { RttEstimator } from "./stack/tcp/rtt.js";
export type { RttOptions } from "./stack/tcp/rtt.js";
export { congestionControls, initialWindow, INFINITE_SSTHRESH } from "./stack/tcp/congestion.js";
export type { CongestionControl, CongestionControlFactory, CongestionControlName } from "./stack/tcp/congestion.js";
export { Cubic } from "./stack/tcp/cubic.js";
export type { CubicOptions } from "./stack/tcp/cubic.js";
export { SackScoreboard } from "./stack/tcp/scoreboard.js";
export type { NextSegment } from "./stack/tcp/scoreboard.js";
export { ProportionalRateReduction } from "./stack/tcp/prr.js";
export type { PrrOptions } from "./stack/tcp/prr.js";
// TCP services, the HTTP service and link offloads (issue 7; see docs/stack.md "TCP services and live use").
export { startHttpService, patternBytes, patternBlock, MAX_HTTP_BYTES, PATTERN_PERIOD } from "./stack/http-service.js";
export type { HttpService, HttpServiceOptions } from "./stack/http-service.js";
export { startTcpService, chargenCycle, CHARGEN_LINE } from "./stack/tcp-services.js";
export type { TcpServiceName, TcpServiceCounters } from "./stack/tcp-services.js";
export { ServiceTransports } from "./stack/services.js";
export type { ServicesOptions } from "./stack/services.js";
export type { FrameMeta, LiveFrameLink, LiveLinkCounters } from "./stack/link.js";
// Sockets and names over IPv6 (issue 8; see docs/ipv6.md "Sockets over IPv6").
export { MAX_UDP6_PAYLOAD } from "./stack/udp.js";
export type { UdpSocketType, UdpSocketOptions, UdpIcmpError } from "./stack/udp.js";
export type { DnsRecordType, LookupAddress, LookupOptions } from "./stack/dns.js";
// TCP engine and net-shaped sockets (src/stack/tcp; see docs/tcp.md).
export { TcpSocket } from "./stack/tcp/socket.js";
export type { TcpSocketOptions, TcpAddressInfo } from "./stack/tcp/socket.js";
export { TcpServer } from "./stack/tcp/server.js";
export type { TcpServerOptions, TcpListenOptions, TcpServerEvents } from "./stack/tcp/server.js";
export type { TcpInfo, TcpState } from "./stack/tcp/types.js";
export type { TcpConnectOptions } from "./stack/stack.js";
export type { TcpConfig } from "./stack/config.js";
export type { AddressFamily, TcpNetwork } from "./stack/tcp/network.js";
export { Ipv6Network } from "./stack/tcp/network6.js";
// Pictures: RFC-style header diagrams of protocols and packets, as text or SVG (see docs/view.md).
export { diagram } from "./diagram/index.js";
export type { DiagramOptions } from "./diagram/index.js";
