// The shape of one `webppo` subcommand. The CLI is a table of these (commands/index.ts): adding a
// subcommand is adding one entry.
import type { FlagSpec, ParsedArgs } from './args.js';

/** Where a command prints: stdout for results, stderr for diagnostics. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Aborted on Ctrl-C (SIGINT) while a command runs. */
  signal: AbortSignal;
}

export interface Command {
  /** Usage after `webppo <name> `: positionals then the main flags. */
  usage: string;
  /** What the command does, for --help (a few lines). */
  summary: string;
  /** Every flag it accepts; anything else is a usage error. */
  flags: Readonly<Record<string, FlagSpec>>;
  /**
   * Validates every argument (throwing UsageError, exit 2) before any work, then runs.
   * Resolves to an exit code (default 0).
   */
  run(args: ParsedArgs, io: Io): Promise<number | void>;
}
