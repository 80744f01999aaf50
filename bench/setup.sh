#!/usr/bin/env bash
# Install what the benchmark needs beside the library: Debian's libpcap-dev (node_pcap's native
# part), tcpdump, tshark, dpkt and Scapy when missing (as root), then bench/'s npm dependencies.
# If node_pcap's native part cannot be built, its pure-JS decoders are still measured.
set -u
cd "$(dirname "$0")"
need=()
[ -e /usr/include/pcap/pcap.h ] || need+=(libpcap-dev)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v tshark >/dev/null || need+=(tshark)
/usr/bin/python3 -c 'import dpkt' 2>/dev/null || need+=(python3-dpkt)
/usr/bin/python3 -c 'import scapy' 2>/dev/null || need+=(python3-scapy)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "bench: installing ${need[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
  else
    echo "bench: missing ${need[*]} (install them with apt-get as root)" >&2
  fi
fi
if ! npm ci --no-audit --no-fund >&2; then
  echo "bench: node_pcap's native build failed; measuring its pure-JS decoders only (no libpcap iteration)" >&2
  npm ci --ignore-scripts --no-audit --no-fund >&2 || exit 1
fi
