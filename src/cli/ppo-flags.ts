// Every PPOConfig field as a kebab-case flag, derived from the config's own field list (DEFAULT_PPO_CONFIG):
// `learningRate` -> `--learning-rate`, `vtrace.rhoClip` -> `--vtrace-rho-clip`. A field added to the config
// becomes a flag with no change here. Values are parsed loosely (number, boolean, null, `low,high`) and then
// validated by resolvePPOConfig, whose error is reported under the flag's name.
import { DEFAULT_PPO_CONFIG, type PPOConfigInput, resolvePPOConfig } from '../config.js';
import { ValidationError } from '../errors.js';
import type { FlagSpec } from './args.js';
import { UsageError } from './errors.js';

interface PPOFlag {
  /** The field's path in PPOConfig: ['learningRate'] or ['vtrace', 'rhoClip']. */
  path: readonly string[];
  spec: FlagSpec;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function describeDefault(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

function flagsOf(object: object, prefix: readonly string[]): [string, PPOFlag][] {
  return Object.entries(object).flatMap(([key, value]): [string, PPOFlag][] => {
    const path = [...prefix, key];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return flagsOf(value, path);
    const help = `PPOConfig.${path.join('.')} (default ${describeDefault(value)})`;
    const spec: FlagSpec = typeof value === 'boolean'
      ? { value: 'true|false', optionalValue: true, help }
      : { value: typeof value === 'number' || value === null ? 'N' : 'value', help };
    return [[path.map(kebab).join('-'), { path, spec }]];
  });
}

/** Flag name (no dashes) to the PPOConfig field it sets, in the config's field order. */
export const PPO_FLAGS: ReadonlyMap<string, PPOFlag> = new Map(flagsOf(DEFAULT_PPO_CONFIG, []));

/** The flag specs, for the argument parser and --help. */
export const PPO_FLAG_SPECS: Readonly<Record<string, FlagSpec>> = Object.fromEntries([...PPO_FLAGS].map(([name, flag]) => [name, flag.spec]));

/** Flag text to a JSON-like value: true/false, null, numbers (Infinity too), `a,b` number pairs, else the text. */
export function parseFlagValue(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null' || text === 'none') return null;
  if (text.includes(',')) return text.split(',').map((part) => parseFlagValue(part.trim()));
  const number = Number(text);
  return text.trim() !== '' && !Number.isNaN(number) ? number : text;
}

/** The flag that sets a ValidationError's field (`ppo.vtrace.rhoClip` or `ppo.clipEpsilon[0]`), if any. */
export function flagForField(field: string): string | undefined {
  const path = field.replace(/^ppo\./, '').replace(/\[.*$/, '').split('.');
  for (const [name, flag] of PPO_FLAGS) if (flag.path.join('.') === path.join('.')) return name;
  return undefined;
}

/** The PPOConfig fields set by flags, validated; a bad value is a UsageError naming the flag. */
export function ppoFromFlags(flags: ReadonlyMap<string, string>): PPOConfigInput {
  const input: Record<string, unknown> = {};
  for (const [name, text] of flags) {
    const flag = PPO_FLAGS.get(name);
    if (!flag) continue;
    let target = input;
    for (const key of flag.path.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[flag.path.at(-1)!] = parseFlagValue(text);
  }
  try {
    resolvePPOConfig(input as PPOConfigInput);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const flag = flagForField(error.field);
    throw new UsageError(`--${flag ?? error.field}: expected ${error.expected}, got ${JSON.stringify(flags.get(flag ?? '') ?? error.actual)}`);
  }
  return input as PPOConfigInput;
}

/** Deep-merges PPO config layers (later wins; nested groups merge field by field). */
export function mergePPO(...layers: (PPOConfigInput | undefined)[]): PPOConfigInput {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) {
      out[key] = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...(out[key] as object | undefined), ...value } : value;
    }
  }
  return out as PPOConfigInput;
}
