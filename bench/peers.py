# dpkt's and Scapy's measurements (Debian python3-dpkt, python3-scapy), under /usr/bin/python3:
#   peers.py dpkt|scapy access|full|build|pcap|pcapng LIMIT
# The same frames and the same checksums as node-wirecraft.js; LIMIT frames (Scapy runs a subset).
# Prints one JSON line: {lib, kind, count, seconds, check}.
import json, os, socket, sys, time

DIR = os.environ.get("BENCH_DIR", "/tmp/wirecraft-bench")
lib, kind, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])

def load_frames(path=DIR + "/corpus.pcap"):
    buf = open(path, "rb").read()
    frames, pos = [], 24
    while pos + 16 <= len(buf) and len(frames) < limit:
        n = int.from_bytes(buf[pos + 8:pos + 12], "little")
        frames.append(buf[pos + 16:pos + 16 + n]); pos += 16 + n
    return frames

def timed(fn, reps):
    fn_result = None
    times = []
    for _ in range(reps):
        t = time.perf_counter(); fn_result = fn(); times.append(time.perf_counter() - t)
    # The fastest pass, as bench/lib.js's timed takes for the Node libraries.
    return min(times), fn_result

def ntop(b):
    return socket.inet_ntop(socket.AF_INET if len(b) == 4 else socket.AF_INET6, b)

if lib == "dpkt":
    import dpkt
    from dpkt.ethernet import Ethernet
    TCP, UDP, ARP, ICMP = dpkt.tcp.TCP, dpkt.udp.UDP, dpkt.arp.ARP, dpkt.icmp.ICMP
    def inner_type(e):
        return e.vlan_tags[-1].type if e.type == 0x8100 else e.type
    def access(frames):
        c = 0
        for f in frames:
            e = Ethernet(f); t = inner_type(e); c += t
            if t != 0x0800 and t != 0x86dd: continue
            ip = e.data; c += len(ntop(ip.src)) + len(ntop(ip.dst)); l4 = ip.data
            if isinstance(l4, TCP): c += l4.sport + l4.dport + (l4.flags & 0xff)
            elif isinstance(l4, UDP): c += l4.sport + l4.dport
        return c
    def full(frames):
        c = 0
        for f in frames:
            e = Ethernet(f); t = inner_type(e); c += t
            if t == 0x0806: c += e.data.op; continue
            ip = e.data; c += len(ntop(ip.src)) + len(ntop(ip.dst)); l4 = ip.data
            if isinstance(l4, TCP):
                c += l4.sport + l4.dport + (l4.flags & 0xff)
                for k, v in dpkt.tcp.parse_opts(l4.opts):
                    if k == 2: c += int.from_bytes(v, "big")
                    elif k == 3: c += v[0]
                    elif k == 4: c += 1
                    elif k == 8: c += int.from_bytes(v[2:4], "big")
            elif isinstance(l4, UDP):
                c += l4.sport + l4.dport
                if l4.sport != 53 and l4.dport != 53: continue
                d = dpkt.dns.DNS(l4.data)
                c += len(d.qd) + len(d.an)
                for q in d.qd: c += len(q.name) + q.type
                for a in d.an: c += len(a.name) + a.type
            else: c += l4.type
        return c
    def build(n):
        c, pl = 0, b"a" * 64
        for i in range(n):
            tcp = TCP(sport=1024 + i % 60000, dport=80, seq=(i * 7919) & 0xffffffff, flags=0x18, win=8192, data=pl)
            ip = dpkt.ip.IP(src=b"\x0a\x00\x00\x01", dst=b"\x0a\x00\x00\x02", p=6, id=i & 0xffff, ttl=64, data=tcp)
            ip.len = len(ip)
            b = bytes(Ethernet(dst=b"\x02\x00\x00\x00\x00\x02", src=b"\x02\x00\x00\x00\x00\x01", data=ip))
            c += len(b) + int.from_bytes(b[24:26], "big") + int.from_bytes(b[50:52], "big")
        return c
    def iterate(path):
        with open(path, "rb") as fh:
            r = dpkt.pcap.Reader(fh) if path.endswith(".pcap") else dpkt.pcapng.Reader(fh)
            return sum(len(buf) for _, buf in r)
else:
    import logging; logging.getLogger("scapy").setLevel(logging.ERROR)
    from scapy.all import Ether, Dot1Q, IP, IPv6, TCP, UDP, ARP, ICMP, DNS, Raw, RawPcapReader, RawPcapNgReader
    def inner_type(e):
        return e[Dot1Q].type if e.type == 0x8100 else e.type
    def net(e, t):
        return e[IP] if t == 0x0800 else e[IPv6]
    def access(frames):
        c = 0
        for f in frames:
            e = Ether(f); t = inner_type(e); c += t
            if t != 0x0800 and t != 0x86dd: continue
            ip = net(e, t); c += len(ip.src) + len(ip.dst)
            if TCP in e: l4 = e[TCP]; c += l4.sport + l4.dport + (int(l4.flags) & 0xff)
            elif UDP in e: l4 = e[UDP]; c += l4.sport + l4.dport
        return c
    def full(frames):
        c = 0
        for f in frames:
            e = Ether(f); t = inner_type(e); c += t
            if t == 0x0806: c += e[ARP].op; continue
            ip = net(e, t); c += len(ip.src) + len(ip.dst)
            if TCP in e:
                l4 = e[TCP]; c += l4.sport + l4.dport + (int(l4.flags) & 0xff)
                for k, v in l4.options:
                    if k in ("MSS", "WScale"): c += v
                    elif k == "SAckOK": c += 1
                    elif k == "Timestamp": c += v[0] & 0xffff
            elif UDP in e:
                l4 = e[UDP]; c += l4.sport + l4.dport
                if DNS not in e: continue
                d = e[DNS]; c += d.qdcount + d.ancount
                for i in range(d.qdcount): q = d.qd[i]; c += len(q.qname) - 1 + q.qtype
                for i in range(d.ancount): a = d.an[i]; c += len(a.rrname) - 1 + a.type
            else: c += e[ICMP].type
        return c
    def build(n):
        c, pl = 0, b"a" * 64
        for i in range(n):
            b = bytes(Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01") / IP(src="10.0.0.1", dst="10.0.0.2", id=i & 0xffff, ttl=64)
                      / TCP(sport=1024 + i % 60000, dport=80, seq=(i * 7919) & 0xffffffff, flags="PA", window=8192) / Raw(pl))
            c += len(b) + int.from_bytes(b[24:26], "big") + int.from_bytes(b[50:52], "big")
        return c
    def iterate(path):
        r = RawPcapReader(path) if path.endswith(".pcap") else RawPcapNgReader(path)
        n = 0; total = 0
        for buf, _ in r:
            total += len(buf); n += 1
            if n >= limit: break
        return total

reps = 3 if lib == "dpkt" else 1
if kind in ("access", "full"):
    frames = load_frames()
    secs, check = timed(lambda: access(frames) if kind == "access" else full(frames), reps)
    count = len(frames)
elif kind == "build":
    count = limit
    secs, check = timed(lambda: build(limit), reps)
else:
    path = DIR + ("/corpus.pcap" if kind == "pcap" else "/corpus.pcapng")
    count = limit
    secs, check = timed(lambda: iterate(path), reps)
print(json.dumps({"lib": lib, "kind": kind, "count": count, "seconds": secs, "check": check}))
