// `webppo`: the command-line interface as a module with no side effects. `main(argv)` parses, dispatches to
// the command table (commands/index.ts) and turns every outcome into one prefixed message and an exit code;
// bin.ts is the executable that calls it.
import process from 'node:process';
import { ENV_IDS } from '../envs/registry.js';
import { parseArgs } from './args.js';
import type { Command, Io } from './command.js';
import { COMMANDS } from './commands/index.js';
import { EXIT, prefixed, UsageError } from './errors.js';
import { packageVersion } from './version.js';

export { EXIT, UsageError } from './errors.js';
export type { Command, Io } from './command.js';
export { COMMANDS } from './commands/index.js';

const column = (rows: [string, string][]) => {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`).join('\n');
};

const EXIT_HELP = `Exit codes:
  ${EXIT.ok}    success
  ${EXIT.failure}    runtime failure (unreadable checkpoint, no WebGPU adapter, an error while training)
  ${EXIT.usage}    usage error (unknown command or option, bad value, unwritable --out); nothing was run
  ${EXIT.interrupted}  stopped by Ctrl-C (training still evaluates and saves what it has)`;

/** The top-level help: every command's usage line, the envs and the exit codes. */
export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  webppo ${name} ${command.usage}`);
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 2;
  const summaries = Object.entries(COMMANDS).map(([name, command]) => `${name.padEnd(width)}${command.summary.replace(/\n/g, `\n${' '.repeat(width)}`)}`);
  return `webppo: self-training PPO agents

Usage:
${lines.join('\n')}
  webppo <command> --help
  webppo --version

Envs: ${ENV_IDS.join(', ')}

${summaries.join('\n\n')}

${EXIT_HELP}
`;
}

/** One command's help: its usage and every flag it takes. */
export function commandUsage(name: string, command: Command): string {
  const rows = Object.entries(command.flags).map(([flag, spec]): [string, string] => [
    `--${flag}${spec.value === undefined ? '' : spec.optionalValue ? `[=${spec.value}]` : ` ${spec.value}`}`,
    spec.help,
  ]);
  return `Usage: webppo ${name} ${command.usage}\n\n${command.summary}\n\nOptions:\n${column(rows)}\n\n${EXIT_HELP}\n`;
}

const stdio = (signal: AbortSignal): Io => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  signal,
});

/** Runs the CLI on `argv` (without the node and script paths) and resolves to the exit code; never throws. */
export async function main(argv: readonly string[], io?: Io): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  const out = io ?? stdio(controller.signal);
  if (!io) process.once('SIGINT', stop);
  const first = argv[0];
  const command = first !== undefined && Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  try {
    if (first === '--version' || first === '-v') {
      out.out(packageVersion());
      return EXIT.ok;
    }
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      (first === undefined ? out.err : out.out)(usage());
      return first === undefined ? EXIT.usage : EXIT.ok;
    }
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(first)} (known: ${Object.keys(COMMANDS).join(', ')})`);
    if (argv.includes('--help') || argv.includes('-h')) {
      out.out(commandUsage(first, command));
      return EXIT.ok;
    }
    return (await command.run(parseArgs(argv, command.flags), out)) ?? EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      const help = command ? `run \`webppo ${first} --help\` for its options` : 'run `webppo --help` for usage';
      out.err(`${prefixed(error.message)}\n${help}`);
      return EXIT.usage;
    }
    out.err(prefixed(error instanceof Error ? error.message : String(error)));
    return EXIT.failure;
  } finally {
    if (!io) process.off('SIGINT', stop);
  }
}
