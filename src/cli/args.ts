/** Argument parsing shared by the subcommands: node:util parseArgs, `--help`, and usage errors. */
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A command's parsed arguments, or the exit code when it should stop (help shown, bad usage). */
export type Parsed<O extends Options> = { values: { [K in keyof O]?: O[K] extends { type: "boolean" } ? boolean : O[K] extends { multiple: true } ? string[] : string }; positionals: string[] } | number;

/** Parse `args` for `command`; `--help` prints `help` to stdout; a bad option prints it to stderr. */
export function parseCommand<O extends Options>(command: string, args: string[], options: O, help: string): Parsed<O> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`wirecraft ${command}: ${(e as Error).message}\n\n${help}`);
    return 2;
  }
  if ((parsed.values as Record<string, unknown>).help === true) {
    process.stdout.write(help);
    return 0;
  }
  return parsed as unknown as Parsed<O>;
}

/** Print a usage error for `command` and return the exit code 2. */
export function usage(command: string, message: string, help: string): number {
  process.stderr.write(`wirecraft ${command}: ${message}\n\n${help}`);
  return 2;
}

/** Parse a non-negative integer option; undefined when absent; NaN when bad. */
export function intOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return /^\d+$/.test(text) ? Number(text) : NaN;
}
