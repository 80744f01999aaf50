/** Helpers for CLI tests: run the compiled command as a child process; find oracles. */
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The compiled command beside this file (build/src/cli/main.js under `npm test`). */
export const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));
/** The repository root (two levels above build/src/cli, or above src/cli). */
export const ROOT = fileURLToPath(new URL(import.meta.url.includes("/build/") ? "../../../" : "../../", import.meta.url));
/** The loopback fixture made by tcpdump. */
export const LOOPBACK = `${ROOT}test/fixtures/loopback-ping.pcap`;

/** Run `wirecraft ARGS`; return exit status, stdout and stderr. */
export function wirecraft(args: string[], input?: Uint8Array | string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, cwd: ROOT });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Return whether a program is on PATH. */
export function have(program: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${program}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Run tshark and return its stdout lines. */
export function tshark(args: string[]): string[] {
  const out = execFileSync("tshark", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 256 * 1024 * 1024 });
  return out.split("\n").filter((l) => l !== "");
}
