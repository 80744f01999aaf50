/** Helpers for tests that use the host: which commands exist, running shell commands, why to skip. */
import { execFileSync } from "node:child_process";
import { nativeAvailable } from "../../src/live/native.js";

/** Return whether a command is on the PATH. */
export function has(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Run a shell command (10 s at most) and return its output. */
export function sh(cmd: string): string {
  return execFileSync("sh", ["-c", cmd], { encoding: "utf8", timeout: 10_000 });
}

/** Return why tests against the kernel cannot run here (not Linux, not root, no addon, a missing command), or undefined. */
export function kernelSkipReason(capabilities: string, commands: readonly string[] = ["ip"]): string | undefined {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return `not root (needs ${capabilities})`;
  if (!nativeAvailable()) return "the native addon is not built (npm run build:native)";
  const missing = commands.find((c) => !has(c));
  return missing === undefined ? undefined : `no \`${missing}\` command`;
}
