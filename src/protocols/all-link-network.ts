/**
 * Load every link and network layer protocol of the suite (their binds and link types register
 * when their modules load).
 */
import "./ethernet.js";
import "./llc.js";
import "./snap.js";
import "./dot1q.js";
import "./arp.js";
import "./sll.js";
import "./null.js";
import "./raw-ip.js";
import "./ipv4.js";
import "./ipv6.js";
import "./ipv6-options.js";
import "./ipv6-routing.js";
import "./ipv6-fragment.js";
import "./icmp.js";
import "./icmpv6.js";
import "./ndp.js";
import "./mld.js";
import "./igmp.js";
import "./udp.js";
