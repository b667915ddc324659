// The library's one voice: every message goes through a Logger filtered by a LogLevel, set globally
// (setLogLevel / setLogger) or per agent (AgentOptions.logLevel / logger). Nothing in src/ calls console directly.

/** How much the library says: nothing, errors only, warnings too, notices (the default), or debug detail. */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

/** Where messages go. `console` fits; so does any object with these four methods. */
export interface Logger {
  /** A failure the library could not recover from on its own (shown at level 'error' and above). */
  error(message: string, ...details: unknown[]): void;
  /** Something likely wrong that the library worked around (shown at level 'warn' and above). */
  warn(message: string, ...details: unknown[]): void;
  /** A notice, such as the backend 'auto' chose (shown at level 'info' and above). */
  info(message: string, ...details: unknown[]): void;
  /** Detail for debugging (shown at level 'debug' only). */
  debug(message: string, ...details: unknown[]): void;
}

/** The log levels, quietest first. */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(['silent', 'error', 'warn', 'info', 'debug']);

const consoleLogger: Logger = {
  error: (message, ...details) => globalThis.console?.error(message, ...details),
  warn: (message, ...details) => globalThis.console?.warn(message, ...details),
  info: (message, ...details) => globalThis.console?.info(message, ...details),
  debug: (message, ...details) => globalThis.console?.debug(message, ...details),
};

let globalLevel: LogLevel = 'info';
let globalLogger: Logger = consoleLogger;

function checkLevel(field: string, level: unknown): LogLevel {
  if (!LOG_LEVELS.includes(level as LogLevel)) {
    throw new TypeError(`${field}: expected one of ${LOG_LEVELS.map((l) => `'${l}'`).join(' | ')}, got ${JSON.stringify(level)}`);
  }
  return level as LogLevel;
}

function checkLogger(field: string, logger: unknown): Logger {
  const candidate = logger as Partial<Logger> | null;
  if (typeof candidate !== 'object' || candidate === null || !(['error', 'warn', 'info', 'debug'] as const).every((m) => typeof candidate[m] === 'function')) {
    throw new TypeError(`${field}: expected an object with error, warn, info and debug methods, got ${logger === null ? 'null' : typeof logger}`);
  }
  return candidate as Logger;
}

/**
 * Sets how much the library logs everywhere an agent has no `logLevel` of its own.
 * @default 'info'
 * @example setLogLevel('silent'); // tests, benchmarks
 */
export function setLogLevel(level: LogLevel): void {
  globalLevel = checkLevel('setLogLevel', level);
}

/** The global log level. */
export function getLogLevel(): LogLevel {
  return globalLevel;
}

/** Sends the library's messages to `logger` (undefined restores the console). */
export function setLogger(logger: Logger | undefined): void {
  globalLogger = logger === undefined ? consoleLogger : checkLogger('setLogger', logger);
}

/** Per-agent (or per-call) overrides of the global level and logger. */
export interface LogOptions {
  /** This agent's log level. Default: the global one (setLogLevel). */
  logLevel?: LogLevel;
  /** Where this agent's messages go. Default: the global logger (setLogger), the console unless set. */
  logger?: Logger;
}

/** Checks LogOptions fields (the agent validates its options before anything else). */
export function checkLogOptions(options: LogOptions): void {
  if (options.logLevel !== undefined) checkLevel('logLevel', options.logLevel);
  if (options.logger !== undefined) checkLogger('logger', options.logger);
}

/** A Logger honoring `options` first and the global settings (read at each call) otherwise. */
export function createLog(options: LogOptions = {}): Logger {
  const emit = (level: Exclude<LogLevel, 'silent'>) => (message: string, ...details: unknown[]) => {
    const threshold = options.logLevel ?? globalLevel;
    if (LOG_LEVELS.indexOf(level) > LOG_LEVELS.indexOf(threshold)) return;
    (options.logger ?? globalLogger)[level](message, ...details);
  };
  return { error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug') };
}

/** The library-wide log (global level and logger). */
export const log: Logger = createLog();
