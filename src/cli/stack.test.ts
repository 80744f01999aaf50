/**
 * `wirecraft stack` as a child process: usage and help everywhere; as root, the command runs in a
 * namespace of our own (wcsns2), creates its TAP, gives the kernel's side an address (--host),
 * answers pings and UDP echo/daytime from the kernel, and stops cleanly on SIGINT (the TAP goes).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { MAIN, ROOT, have, wirecraft } from "./testing.js";
import { STACK_HELP } from "./stack.js";
import { nativeAvailable } from "../live/native.js";

const NS = "wcsns2";
const TAP = "wcstap3";

test("stack --help documents every option; bad usage exits 2", () => {
  const h = wirecraft(["stack", "--help"]);
  assert.equal(h.status, 0);
  assert.equal(h.stdout, STACK_HELP);
  for (const o of ["--tap", "--mac", "--ipv4", "--ipv6", "--no-ipv6", "--gateway", "--dhcp", "--services", "--host", "--probe", "--mtu", "--offload", "--duration", "--verbose", "--help"]) {
    assert.ok(h.stdout.includes(`${o} `) || h.stdout.includes(`${o}\n`), `help mentions ${o}`);
  }
  assert.equal(wirecraft(["help", "stack"]).stdout, STACK_HELP);
  assert.match(wirecraft(["--help"]).stdout, /wirecraft stack --tap NAME/);
  const cases: [string[], RegExp][] = [
    [[], /--tap NAME is required/],
    [["--tap", "x", "--ipv4", "10.0.0.300/24"], /10\.0\.0\.300/],
    [["--tap", "x", "--mac", "02:00"], /--mac: not a MAC/],
    [["--tap", "x", "--services", "echo,gopher"], /unknown service "gopher"/],
    [["--tap", "x", "--offload", "gso"], /--offload/],
    [["--tap", "x", "--mtu", "100"], /--mtu/],
    [["--tap", "x", "--duration", "0"], /--duration/],
    [["--tap", "x", "--bogus"], /bogus/],
    [["--tap", "x", "--ipv6", "fd00::1/129"], /fd00::1\/129/],
    [["--tap", "x", "--ipv6", "10.0.0.1/24"], /not an IPv6 address/],
    [["--tap", "x", "--ipv6", "fd00::1/64", "--no-ipv6"], /--ipv6 and --no-ipv6 exclude each other/],
    [["--tap", "x", "--no-ipv6", "--host", "fd00::1/64"], /an IPv6 address with --no-ipv6/],
    [["--tap", "x", "--host", "fd00::1/200"], /fd00::1\/200/],
  ];
  for (const [args, message] of cases) {
    const r = wirecraft(["stack", ...args]);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, message);
  }
});

const why = process.platform !== "linux" ? "not Linux" : process.getuid?.() !== 0 ? "not root (needs CAP_NET_ADMIN)"
  : !nativeAvailable() ? "the native addon is not built" : !have("ip") || !have("ping") ? "no `ip` or `ping`" : undefined;
if (why) console.warn(`\n*** wirecraft stack against the kernel SKIPPED: ${why} ***\n`);

function inNs(args: string[], timeout = 10_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile("ip", ["netns", "exec", NS, ...args], { encoding: "utf8", timeout }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, out: stdout + stderr });
    });
  });
}

test("wirecraft stack on a TAP it creates: pinged by the kernel, UDP echo and daytime, SIGINT stops it", { skip: why ?? false, timeout: 40_000 }, async () => {
  const sh = (cmd: string): void => { execFileSync("sh", ["-c", cmd], { stdio: "ignore", timeout: 10_000 }); };
  sh(`ip netns del ${NS} 2>/dev/null; true`);
  sh(`ip netns add ${NS} && ip -n ${NS} link set lo up`);
  const child = spawn("ip", ["netns", "exec", NS, process.execPath, MAIN, "stack", "--tap", TAP, "--mac", "02:00:00:00:14:12",
    "--ipv4", "10.214.2.2/24", "--host", "10.214.2.1/24", "--duration", "30"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`not ready within 10 s:\n${out}\n${err}`)), 10_000);
      const check = (): void => { if (out.includes("ready")) { clearTimeout(t); resolve(); } };
      child.stdout.on("data", check);
      void exited.then(() => { clearTimeout(t); reject(new Error(`exited early:\n${out}\n${err}`)); });
    });
    assert.match(out, /created TAP wcstap3/);
    assert.match(out, /host side: 10\.214\.2\.1\/24 on wcstap3, up/);
    assert.match(out, /address 10\.214\.2\.2\/24 in use/);
    const ping = await inNs(["ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", "-s", "2000", "10.214.2.2"]);
    assert.equal(ping.code, 0, ping.out);
    assert.match(ping.out, /2 packets transmitted, 2 received/);
    const client = `
      const s = require("dgram").createSocket("udp4");
      const got = [];
      s.on("message", (m, r) => { got.push(r.port + " " + m.toString()); if (got.length === 2) { console.log(JSON.stringify(got.sort())); process.exit(0); } });
      s.send("echo me", 7, "10.214.2.2", () => s.send("", 13, "10.214.2.2"));
      setTimeout(() => { console.log("timeout", JSON.stringify(got)); process.exit(2); }, 4000);`;
    const udp = await inNs([process.execPath, "-e", client]);
    assert.equal(udp.code, 0, udp.out);
    const [daytime, echo] = JSON.parse(udp.out) as string[];
    assert.match(daytime!, /^13 \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n$/);
    assert.equal(echo, "7 echo me");
    child.kill("SIGINT");
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("still running 5 s after SIGINT"), 5000))]);
    assert.equal(code, 0, `${out}\n${err}`);
    assert.match(out, /echo: 7 bytes from 10\.214\.2\.1:\d+, sent back/);
    assert.match(out, /daytime: asked by 10\.214\.2\.1:\d+/);
    assert.match(out, /stopping \(SIGINT\)/);
    assert.match(out, /icmp\.echoReplySent=2/);
    assert.match(out, /stopped\n$/);
    assert.equal(err, "");
    const left = await inNs(["cat", `/sys/class/net/${TAP}/address`]);
    assert.notEqual(left.code, 0, "the TAP the command created is gone");
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    sh(`ip netns del ${NS} 2>/dev/null; true`);
  }
});

const NS6 = "wc6ec";
const TAP6 = "wc6ectap";

test("wirecraft stack runs dual-stack by default: static IPv6 and link-local addresses logged when ready, pinged by the kernel, UDP and TCP services over IPv6; --no-ipv6 turns IPv6 off", { skip: why ?? false, timeout: 40_000 }, async () => {
  const sh = (cmd: string): void => { execFileSync("sh", ["-c", cmd], { stdio: "ignore", timeout: 10_000 }); };
  const inNs6 = (args: string[], input?: string): Promise<{ code: number; out: string }> => new Promise((resolve) => {
    const c = execFile("ip", ["netns", "exec", NS6, ...args], { encoding: "utf8", timeout: 10_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, out: stdout + stderr });
    });
    c.stdin!.end(input ?? "");
  });
  const start = (extra: string[]): { child: ReturnType<typeof spawn>; output: () => string; exited: Promise<number | null> } => {
    const child = spawn("ip", ["netns", "exec", NS6, process.execPath, MAIN, "stack", "--tap", TAP6, "--mac", "02:00:00:00:23:12",
      "--ipv4", "10.232.1.2/24", "--host", "10.232.1.1/24", ...extra], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
    return { child, output: () => out, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
  };
  const waitFor = async (output: () => string, re: RegExp, ms: number): Promise<void> => {
    for (const end = Date.now() + ms; !re.test(output()); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > end) throw new Error(`no ${re} within ${ms} ms:\n${output()}`);
    }
  };
  sh(`ip netns del ${NS6} 2>/dev/null; true`);
  sh(`ip netns add ${NS6} && ip -n ${NS6} link set lo up`);
  let run: ReturnType<typeof start> | undefined;
  try {
    run = start(["--ipv6", "fd00:232:1::2/64", "--host", "fd00:232:1::1/64", "--services", "echo,http", "--duration", "30"]);
    const out = run.output;
    // Link-local from the MAC (modified EUI-64) and the static address, each after DAD (~1-2 s).
    await waitFor(out, /address fe80::ff:fe00:2312\/64 in use \(link-local\)/, 8000);
    await waitFor(out, /address fd00:232:1::2\/64 in use \(static\)/, 8000);
    assert.match(out(), /host side: 10\.232\.1\.1\/24, fd00:232:1::1\/64 on wc6ectap, up/);
    assert.match(out(), /IPv6: checking fd00:232:1::2\/64 \(static\) by duplicate address detection/);
    assert.match(out(), /IPv6: router solicitation and SLAAC on/);
    for (const to of ["fd00:232:1::2", `fe80::ff:fe00:2312%${TAP6}`]) {
      const ping = await inNs6(["ping", "-6", "-n", "-c", "2", "-i", "0.2", "-W", "1", "-s", "2000", to]);
      assert.equal(ping.code, 0, ping.out);
      assert.match(ping.out, /2 packets transmitted, 2 received/);
    }
    // The services answer over IPv6: UDP echo (socat) and HTTP over TCP (curl -6), 2 MB byte-counted.
    const udp = await inNs6(["socat", "-T", "2", "-", "UDP6:[fd00:232:1::2]:7"], "udp six\n");
    assert.equal(udp.out, "udp six\n");
    const tcpEcho = await inNs6(["socat", "-T", "2", "-", "TCP6:[fd00:232:1::2]:7"], "tcp six\n");
    assert.equal(tcpEcho.out, "tcp six\n");
    const page = await inNs6(["sh", "-c", "curl -6 -sS --max-time 10 'http://[fd00:232:1::2]/bytes/2000000' | wc -c"]);
    assert.equal(page.out.trim(), "2000000");
    run.child.kill("SIGINT");
    assert.equal(await run.exited, 0, out());
    assert.match(out(), /icmpv6\.echoReplySent=4\b/);
    assert.match(out(), /echo: 8 bytes from fd00:232:1::1:\d+, sent back/);
    assert.match(out(), /http: GET \/bytes\/2000000 from fd00:232:1::1:\d+: 200, 2000000 bytes/);
    assert.match(out(), /ipv6\.offloaded=\d+/, "IPv6 TCP segments of several MSS went whole to the vnet TAP, which cut them");

    // --no-ipv6: no link-local address, nothing answers over IPv6, IPv4 still does.
    run = start(["--no-ipv6", "--duration", "30"]);
    await waitFor(run.output, /ready \(Ctrl-C stops\)/, 8000);
    const v4 = await inNs6(["ping", "-n", "-c", "1", "-W", "1", "10.232.1.2"]);
    assert.equal(v4.code, 0, v4.out);
    const v6 = await inNs6(["ping", "-6", "-n", "-c", "1", "-W", "1", `fe80::ff:fe00:2312%${TAP6}`]);
    assert.notEqual(v6.code, 0, v6.out);
    run.child.kill("SIGINT");
    assert.equal(await run.exited, 0, run.output());
    assert.match(run.output(), /IPv6 off \(--no-ipv6\)/);
    assert.doesNotMatch(run.output(), /fe80::/);
  } finally {
    if (run !== undefined && run.child.exitCode === null) run.child.kill("SIGKILL");
    sh(`ip netns del ${NS6} 2>/dev/null; true`);
  }
});

test("wirecraft stack --services echo,chargen,http: TCP from the kernel (curl, socat) over the vnet TAP it opens", { skip: why ?? (!have("curl") || !have("socat") ? "no curl or socat" : false), timeout: 40_000 }, async () => {
  const ns = "wctl-cli";
  const run = (cmd: string): void => { execFileSync("sh", ["-c", cmd], { stdio: "ignore", timeout: 10_000 }); };
  const inCliNs = (args: string[], input?: string): Promise<{ code: number; out: string }> => new Promise((resolve) => {
    const c = execFile("ip", ["netns", "exec", ns, ...args], { encoding: "utf8", timeout: 10_000, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, out: stdout + stderr });
    });
    c.stdin!.end(input ?? "");
  });
  run(`ip netns del ${ns} 2>/dev/null; true`);
  run(`ip netns add ${ns} && ip -n ${ns} link set lo up`);
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, MAIN, "stack", "--tap", "wctlcli0", "--mac", "02:00:00:22:06:02",
    "--ipv4", "10.222.6.2/24", "--host", "10.222.6.1/24", "--services", "echo,chargen,http", "--duration", "30"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`not ready within 10 s:\n${out}\n${err}`)), 10_000);
      const check = (): void => { if (out.includes("ready")) { clearTimeout(t); resolve(); } };
      child.stdout.on("data", check);
      void exited.then(() => { clearTimeout(t); reject(new Error(`exited early:\n${out}\n${err}`)); });
    });
    assert.match(out, /TCP segments up to 65535 bytes \(segmentation offload\)/);
    for (const s of ["echo on UDP port 7", "echo on TCP port 7", "chargen on UDP port 19", "chargen on TCP port 19", "http on TCP port 80"]) assert.ok(out.includes(`service ${s}`), s);
    const page = await inCliNs(["curl", "-sS", "--max-time", "5", "http://10.222.6.2/"]);
    assert.equal(page.code, 0, page.out);
    assert.match(page.out, /<h1>wirecraft stack wctlcli0<\/h1>/);
    const bytes = await inCliNs(["sh", "-c", "curl -sS --max-time 10 http://10.222.6.2/bytes/5000000 | wc -c"]);
    assert.equal(bytes.out.trim(), "5000000");
    const echo = await inCliNs(["socat", "-T", "3", "-", "TCP:10.222.6.2:7"], "over TCP\n");
    assert.equal(echo.out, "over TCP\n");
    const chargen = await inCliNs(["sh", "-c", "socat -u TCP:10.222.6.2:19 - | head -c 148"]);
    assert.equal(chargen.out.split("\r\n")[1], Array.from({ length: 72 }, (_, j) => String.fromCharCode(33 + j)).join(""));
    child.kill("SIGINT");
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("still running 5 s after SIGINT"), 5000))]);
    assert.equal(code, 0, `${out}\n${err}`);
    assert.match(out, /http: GET \/bytes\/5000000 from 10\.222\.6\.1:\d+: 200, 5000000 bytes/);
    assert.match(out, /echo\/tcp: connection from 10\.222\.6\.1:\d+/);
    assert.match(out, /stopped\n$/);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    run(`ip netns del ${ns} 2>/dev/null; true`);
  }
});
