// Command-line parsing against a declared set of flags: `--name value`, `--name=value`, bare switches and
// `--no-name` for boolean switches. Anything undeclared is a UsageError naming it.
import { UsageError } from './errors.js';

/** A flag a command accepts. */
export interface FlagSpec {
  /** Placeholder of the value (`N`, `file`); absent for a switch that takes none. */
  value?: string;
  /** A switch that may also take a value: `--x`, `--no-x`, `--x=v`, or `--x v` when v looks like a value. */
  optionalValue?: boolean;
  /** One line for --help. */
  help: string;
}

export interface ParsedArgs {
  positional: string[];
  /** Flag name (without dashes) to its text; switches given bare are 'true', `--no-x` is 'false'. */
  flags: Map<string, string>;
}

// Values an optional-value flag takes from the next argument without `=`: booleans, null and numbers.
const LOOKS_LIKE_VALUE = /^(true|false|null|[-+]?(\d|\.\d|Infinity).*)$/;

export function parseArgs(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) throw new UsageError(`unknown option ${arg}`);
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (!(name in specs) && name.startsWith('no-') && name.slice(3) in specs && value === undefined) {
      const spec = specs[name.slice(3)];
      if (spec.value === undefined || spec.optionalValue) {
        name = name.slice(3);
        value = 'false';
      }
    }
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (value === undefined) {
      if (spec.value === undefined) value = 'true';
      else if (spec.optionalValue) value = i + 1 < argv.length && LOOKS_LIKE_VALUE.test(argv[i + 1]) ? argv[++i] : 'true';
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
      else throw new UsageError(`--${name} needs a value (${spec.value})`);
    } else if (spec.value === undefined && value !== 'true' && value !== 'false') {
      throw new UsageError(`--${name} takes no value, got ${JSON.stringify(value)}`);
    }
    if (flags.has(name)) throw new UsageError(`--${name} is given twice`);
    flags.set(name, value);
  }
  return { positional, flags };
}

/** A flag that must be an integer >= min, or the fallback when absent. */
export function integerFlag(flags: Map<string, string>, name: string, fallback: number, min: number): number {
  const text = flags.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** A flag that must be one of `options`, or the fallback when absent. */
export function choiceFlag<T extends string>(flags: Map<string, string>, name: string, fallback: T, options: readonly T[]): T {
  const text = flags.get(name) ?? fallback;
  if (!options.includes(text as T)) throw new UsageError(`--${name}: expected one of ${options.join(', ')}, got ${JSON.stringify(text)}`);
  return text as T;
}

/** The one positional argument `name` at `index`, or a UsageError saying it is missing. */
export function positionalArg(args: ParsedArgs, index: number, what: string): string {
  const value = args.positional[index];
  if (value === undefined) throw new UsageError(`missing ${what}`);
  return value;
}

/** Rejects positional arguments beyond `count`. */
export function noExtraPositionals(args: ParsedArgs, count: number): void {
  if (args.positional.length > count) throw new UsageError(`unexpected argument ${JSON.stringify(args.positional[count])}`);
}
