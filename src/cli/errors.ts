// What the CLI tells the shell: one prefix on every message and documented exit codes.

/** Exit codes of the `webppo` command (documented in the README and in `webppo --help`). */
export const EXIT = Object.freeze({
  /** The command did what was asked. */
  ok: 0,
  /** A runtime failure: unreadable or invalid checkpoint, no WebGPU adapter, an error while training. */
  failure: 1,
  /** A usage error: unknown command or option, a bad value, an unwritable output path; nothing was run. */
  usage: 2,
  /** Stopped by Ctrl-C (SIGINT); a training run still evaluates and saves what it has. */
  interrupted: 130,
});

/** A problem with the command line itself: reported with the usage, exit code 2, before any work starts. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The single prefix of every line the CLI prints about itself. */
export const PREFIX = 'webppo: ';

/** A message with exactly one prefix, whether or not the error already carried one. */
export function prefixed(message: string): string {
  return PREFIX + message.replace(/^(webppo: )+/, '');
}
