/**
 * Flag parsing shared by every command: a thin layer over `node:util` `parseArgs` that turns
 * every mistake into an `InvalidOptionError` / `UserError` (exit code 2, one clear line).
 */
import { parseArgs } from 'node:util';
import { InvalidOptionError, UserError } from '../errors.js';

/** One flag of a command, as `parseArgs` wants it plus a help line. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  help: string;
  /** Shown in --help as the default. */
  default?: string;
  /** Placeholder of the value in --help (`--out DIR`). Default: from the flag's name, else VALUE. */
  value?: string;
}

/** Placeholders of common flags, so `--help` reads `--subset FILE` rather than `--subset VALUE`. */
const PLACEHOLDERS: Record<string, string> = {
  subset: 'FILE',
  data: 'DIR',
  out: 'DIR',
  run: 'DIR',
  cache: 'DIR',
  mirror: 'URL',
  actors: 'LIST',
  sizes: 'LIST',
  weights: 'FILE',
  model: 'FILE',
  backbone: 'NAME',
  layer: 'NAME',
  actor: 'NAME',
  preprocess: 'MODE',
  select: 'RULE',
  rank: 'RULE',
  box: 'X1,Y1,X2,Y2',
  lr: 'RATE',
};

/** Flags every command accepts. */
export const commonFlags: Record<string, FlagSpec> = {
  json: { type: 'boolean', help: 'print a one-line JSON summary as the last line of stdout' },
  verbose: { type: 'boolean', help: 'show stack traces and more detail on errors' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

/** Parsed flags and positional arguments. */
export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses `argv` against `flags` (plus the common flags); unknown flags are a `UserError`. */
export function parseFlags(
  command: string,
  argv: string[],
  flags: Record<string, FlagSpec>,
  allowPositionals = false,
): ParsedArgs {
  const all = { ...flags, ...commonFlags };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(all)) {
    options[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  try {
    const args = joinNegativeValues(argv, options);
    const { values, positionals } = parseArgs({ args, options, allowPositionals, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    // main.ts prefixes `facelab <command>:`; parseArgs messages span lines, a user error is one.
    const message = (error instanceof Error ? error.message : String(error))
      .replace(/\. To specify a positional.*$/s, '')
      .replace(/\s*\n\s*/g, ' ');
    throw new UserError(`${message} (see facelab ${command} --help)`);
  }
}

/**
 * Writes `--flag -50,0,-10,20` as `--flag=-50,0,-10,20` for string flags: parseArgs refuses a
 * value starting with a dash as ambiguous, but a negative number is never a flag (a face box
 * may start left of or above the photo).
 */
function joinNegativeValues(
  argv: string[],
  options: Record<string, { type: 'string' | 'boolean' }>,
): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else {
      args.push(arg);
    }
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
  }
  return args;
}

/** Renders the --help text of a command. */
export function helpText(
  command: string,
  usage: string,
  description: string,
  flags: Record<string, FlagSpec>,
): string {
  const all = { ...flags, ...commonFlags };
  const rows = Object.entries(all).map(([name, spec]) => {
    const left = `  ${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? PLACEHOLDERS[name] ?? 'N'}` : ''}`;
    const def = spec.default !== undefined ? ` (default: ${spec.default})` : '';
    return `${left.padEnd(28)} ${spec.help}${def}`;
  });
  return `Usage: facelab ${command} ${usage}\n\n${description}\n\nOptions:\n${rows.join('\n')}\n`;
}

/** What a command's `--help` shows, and the flags it takes. */
export interface CommandHelp {
  /** The command's name (`facelab <name>`). */
  name: string;
  /** The usage line after `facelab <name>`. */
  usage: string;
  /** What the command does, in a paragraph or two. */
  description: string;
  flags: Record<string, FlagSpec>;
  /** Whether the command takes positional arguments (e.g. photos). Default false. */
  positionals?: boolean;
}

/**
 * Every command's prologue: parses `argv`, and with `--help` prints the help and resolves to
 * undefined (the command then exits 0); else the parsed flags and whether `--json` was given.
 */
export function parseCommand(
  help: CommandHelp,
  argv: string[],
): (ParsedArgs & { json: boolean }) | undefined {
  const parsed = parseFlags(help.name, argv, help.flags, help.positionals ?? false);
  if (parsed.values.help) {
    process.stdout.write(helpText(help.name, help.usage, help.description, help.flags));
    return undefined;
  }
  return { ...parsed, json: parsed.values.json === true };
}

/** A required string flag. */
export function requireString(values: ParsedArgs['values'], name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UserError(`Missing required option --${name}`);
  return value;
}

/** An optional string flag. */
export function optionalString(values: ParsedArgs['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** An integer flag within [min, max]. */
export function intFlag(
  values: ParsedArgs['values'],
  name: string,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const parsed = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new InvalidOptionError(`--${name}`, `an integer from ${min} to ${max}`, raw);
  }
  return parsed;
}

/** A positive number flag (e.g. a learning rate). */
export function numberFlag(values: ParsedArgs['values'], name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const parsed = typeof raw === 'string' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new InvalidOptionError(`--${name}`, 'a positive number', raw);
  return parsed;
}

/** A comma-separated list of positive integers, e.g. `--sizes 32,227`. */
export function intListFlag(values: ParsedArgs['values'], name: string, fallback: number[]): number[] {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const items = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : [];
  const parsed = items.map((s) => (/^\d+$/.test(s) ? Number(s) : Number.NaN));
  if (parsed.length === 0 || parsed.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new InvalidOptionError(`--${name}`, 'a comma-separated list of positive integers', raw);
  }
  return parsed;
}

/** A comma-separated list of positive numbers, e.g. `--lr 1e-4,1e-3`. */
export function numberListFlag(values: ParsedArgs['values'], name: string, fallback: number[]): number[] {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const parsed = typeof raw === 'string' ? raw.split(',').map((s) => Number(s.trim())) : [];
  if (parsed.length === 0 || parsed.some((n) => !Number.isFinite(n) || n <= 0)) {
    throw new InvalidOptionError(`--${name}`, 'a comma-separated list of positive numbers', raw);
  }
  return parsed;
}

/** A comma-separated list of names, e.g. `--actors "Alec Baldwin,Bill Hader"`. */
export function nameListFlag(values: ParsedArgs['values'], name: string): string[] | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const names =
    typeof raw === 'string'
      ? raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      : [];
  if (names.length === 0) throw new InvalidOptionError(`--${name}`, 'a comma-separated list of names', raw);
  return names;
}
