/** A mistake in how the command was called: exit code 2, with the command's usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export type FlagType = 'string' | 'number' | 'boolean';

export interface FlagSpec {
  type: FlagType;
  /** May be given more than once; the values are collected in order. */
  multiple?: boolean;
  description?: string;
  /** Shown in usage for valued flags, e.g. `N` or `ID`. */
  placeholder?: string;
  /** A one-letter alias, as `mlflow run` spells its options: `-e main`, `-P alpha=0.5`. */
  short?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValue = string | number | boolean | string[] | number[];

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, FlagValue | undefined>;
}

function convert(name: string, spec: FlagSpec, raw: string): string | number {
  if (spec.type !== 'number') return raw;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} expects a number, got '${raw}'`);
  return n;
}

/**
 * `--flag value`, `--flag=value`, boolean `--flag` / `--no-flag`, repeatable flags, and `--` to end
 * flags. Flags and positionals may come in any order; an unknown flag is a usage error rather than
 * silently ignored, so a typo never runs a different command than the one meant.
 */
export function parseArgs(given: readonly string[], specs: FlagSpecs): ParsedArgs {
  let argv = given;
  const positionals: string[] = [];
  const flags: Record<string, FlagValue | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-' && !/^-\d/.test(arg)) {
        if (arg === '-h') {
          flags['help'] = true;
          continue;
        }
        const long = /^-[A-Za-z]$/.test(arg) ? Object.keys(specs).find((n) => specs[n]?.short === arg.slice(1)) : undefined;
        if (long === undefined) throw new UsageError(`unknown option '${arg}'`);
        argv = [...argv.slice(0, i), `--${long}`, ...argv.slice(i + 1)];
        i--;
        continue;
      }
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let inline = eq === -1 ? undefined : arg.slice(eq + 1);
    let spec = specs[name];
    if (spec === undefined && name.startsWith('no-') && specs[name.slice(3)]?.type === 'boolean' && inline === undefined) {
      name = name.slice(3);
      spec = specs[name];
      inline = 'false';
    }
    if (spec === undefined) throw new UsageError(`unknown option '--${name}'`);
    let value: string | number | boolean;
    if (spec.type === 'boolean') {
      if (inline !== undefined && !/^(true|false)$/i.test(inline)) throw new UsageError(`--${name} takes no value (or true/false), got '${inline}'`);
      value = inline === undefined ? true : inline.toLowerCase() === 'true';
    } else {
      const raw = inline ?? argv[++i];
      if (raw === undefined) throw new UsageError(`--${name} needs a value`);
      value = convert(name, spec, raw);
    }
    if (spec.multiple) {
      const list = (flags[name] as (string | number)[] | undefined) ?? [];
      flags[name] = [...list, value as string | number] as string[] | number[];
    } else {
      if (flags[name] !== undefined && spec.type !== 'boolean') throw new UsageError(`--${name} given twice`);
      flags[name] = value;
    }
  }
  return { positionals, flags };
}

/** Exactly `names.length` positionals (the optional ones, marked `[x]`, may be missing). */
export function positionalsOf(parsed: ParsedArgs, names: readonly string[]): Record<string, string | undefined> {
  const required = names.filter((n) => !n.startsWith('['));
  if (parsed.positionals.length < required.length)
    throw new UsageError(
      `missing ${required
        .slice(parsed.positionals.length)
        .map((n) => `<${n}>`)
        .join(' ')}`,
    );
  if (parsed.positionals.length > names.length) throw new UsageError(`unexpected argument '${parsed.positionals[names.length]}'`);
  return Object.fromEntries(names.map((n, i) => [n.replace(/^\[(.*)\]$/, '$1'), parsed.positionals[i]]));
}
