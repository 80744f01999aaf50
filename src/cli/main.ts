#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * The `wirecraft` command. Each subcommand lives in its own file under src/cli/.
 */
import { readFileSync } from "node:fs";

// Commands are imported when run, so `--version` and `--help` do not load the whole library.

const HELP = `wirecraft — craft, dissect and capture packets

Usage:
  wirecraft read FILE|- [options]    print a capture's frames (lines, -V tree, -x hex, --json), filter, write
  wirecraft stats FILE|- [options]   protocol hierarchy and conversations
  wirecraft follow FILE|- N          print TCP stream N like Wireshark's "Follow TCP Stream"
  wirecraft shell                    a Node REPL with the API in scope and field-name completion
  wirecraft describe PROTOCOL        list a protocol's fields (like Scapy's ls())
  wirecraft view FILE [-o OUT.html]  a capture viewer page (list, filter, tree, bytes, stats, TCP graphs); --serve
  wirecraft stack --tap NAME [opts]  run the userspace TCP/IP stack on a TAP device (ping it, UDP echo)
  wirecraft demo                     craft, show and dissect a few packets
  wirecraft help COMMAND             a command's options and examples (or: wirecraft COMMAND --help)
  wirecraft --version                print the version

Examples:
  wirecraft read test/fixtures/loopback-ping.pcap
  wirecraft read capture.pcap --filter 'tcp && ip.dst == 10.0.0.2' -w web.pcapng
  wirecraft read capture.pcap --json | jq .layers[1].fields.ttl
  wirecraft stats capture.pcap
  wirecraft follow capture.pcap 0
  wirecraft describe IPv4

Filters are documented in docs/filters.md.
`;

async function commandHelp(topic: string): Promise<string | undefined> {
  switch (topic) {
    case "read": return (await import("./read.js")).READ_HELP;
    case "stats": return (await import("./stats.js")).STATS_HELP;
    case "follow": return (await import("./follow.js")).FOLLOW_HELP;
    case "shell": return (await import("./shell.js")).SHELL_HELP;
    case "stack": return (await import("./stack.js")).STACK_HELP;
    case "view": return (await import("./view.js")).VIEW_HELP;
    default: return undefined;
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case "-h":
    case "--help":
      process.stdout.write(HELP);
      return cmd === undefined ? 1 : 0;
    case "help": {
      const topic = rest[0];
      const help = topic === undefined ? HELP : await commandHelp(topic);
      if (help === undefined) {
        process.stderr.write(`wirecraft help: no command "${topic}"\n\n${HELP}`);
        return 2;
      }
      process.stdout.write(help);
      return 0;
    }
    case "-v":
    case "--version":
      process.stdout.write(version() + "\n");
      return 0;
    case "demo":
      return (await import("./demo.js")).runDemo(rest);
    case "describe":
      return (await import("./describe.js")).runDescribe(rest);
    case "read":
      return (await import("./read.js")).runRead(rest);
    case "stats":
      return (await import("./stats.js")).runStats(rest);
    case "follow":
      return (await import("./follow.js")).runFollow(rest);
    case "shell":
      return (await import("./shell.js")).runShell(rest);
    case "stack":
      return (await import("./stack.js")).runStack(rest);
    case "view":
      return (await import("./view.js")).runView(rest);
    default:
      process.stderr.write(`wirecraft: unknown command "${cmd}"\n\n${HELP}`);
      return 2;
  }
}

// A closed pipe (`wirecraft read big.pcap | head`) ends the command quietly.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
