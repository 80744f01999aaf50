#!/usr/bin/env node
/**
 * The `wirecraft` command. Each subcommand lives in its own file under src/cli/.
 */
import { readFileSync } from "node:fs";
import { runDemo } from "./demo.js";
import { runDescribe } from "./describe.js";
import { READ_HELP, runRead } from "./read.js";
import { STATS_HELP, runStats } from "./stats.js";
import { FOLLOW_HELP, runFollow } from "./follow.js";

const HELP = `wirecraft — craft, dissect and capture packets

Usage:
  wirecraft demo                 craft, show and dissect a few packets
  wirecraft describe PROTOCOL    list a protocol's fields (like Scapy's ls())
  wirecraft --version            print the version
  wirecraft --help               this help

Examples:
  wirecraft demo
  wirecraft describe IPv4
`;

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
    case "help":
      process.stdout.write(HELP);
      return cmd === undefined ? 1 : 0;
    case "-v":
    case "--version":
      process.stdout.write(version() + "\n");
      return 0;
    case "demo":
      return runDemo(rest);
    case "describe":
      return runDescribe(rest);
    case "read":
      return runRead(rest);
    case "stats":
      return runStats(rest);
    case "follow":
      return runFollow(rest);
    default:
      process.stderr.write(`wirecraft: unknown command "${cmd}"\n\n${HELP}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
