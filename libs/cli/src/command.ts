import { parseArgs } from 'node:util';
import { inputFileProblem } from './files';
import type { CommandSpec, OptionSpecs, Values } from './spec';
import { placeholder, renderUsage } from './usage';
import { optionValue } from './values';

/** Bad command-line input: one sentence per problem, then how to get the usage text. */
export class CliUsageError extends Error {
  constructor(
    readonly problems: readonly string[],
    hint: string,
  ) {
    super([...problems, hint].join('\n'));
    this.name = 'CliUsageError';
  }
}

/** What a command line asks for: the usage text, a refusal (exit 2), or the parsed arguments. */
export type Outcome<T> =
  { readonly kind: 'help'; readonly text: string } | { readonly kind: 'invalid'; readonly text: string } | { readonly kind: 'ok'; readonly value: T };

/** Where `parseOrExit` writes and how it exits (the process by default; tests pass their own). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  exit(code: number): never;
}

const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  exit: (code) => process.exit(code),
};

export interface Command<T> {
  /** The `--help` text. */
  readonly usage: string;
  /** True when the command line asks for `--help`/`-h` (before any `--`). */
  wantsHelp(argv: readonly string[]): boolean;
  /** The arguments, without touching the file system; throws `CliUsageError`. `--help` is ignored. */
  parse(argv: readonly string[]): T;
  /** `parse` plus the input-file checks, as an outcome instead of an exception. */
  resolve(argv: readonly string[]): Outcome<T>;
  /** Prints the usage and exits 0 on `--help`; prints the problems and exits 2 on bad input. */
  parseOrExit(argv: readonly string[], io?: CliIo): T;
}

class Failed extends Error {}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length]!;
}

function suggestion(typed: string, names: readonly string[]): string {
  const bare = typed.replace(/^-+/, '').replace(/=.*$/, '');
  if (bare.length < 2) return '';
  const commonPrefix = (n: string): number => {
    let i = 0;
    while (i < bare.length && n[i] === bare[i]) i++;
    return i;
  };
  const close = names.filter(
    (n) =>
      n.startsWith(bare) ||
      (bare.length >= 4 && n.includes(bare)) ||
      commonPrefix(n) >= Math.max(4, bare.length - 2) ||
      editDistance(n, bare) <= Math.min(2, Math.floor(n.length / 3)),
  );
  return close.length > 0 ? ` (did you mean ${close.map((n) => `--${n}`).join(' or ')}?)` : '';
}

/** `parseArgs`'s complaint as one sentence naming the option and what is expected. */
function translate<S extends OptionSpecs>(err: unknown, options: S): string {
  const { code, message } = err as { code?: string; message: string };
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const flag = quoted.split(' ')[0]!;
  const spec = options[flag.replace(/^--/, '')];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag}${suggestion(flag, Object.keys(options))}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}": every value follows its option, as in --name <value>`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      if (/does not take an argument/.test(message)) return `${flag} is a switch and takes no value`;
      const what = spec === undefined ? 'a value' : `${placeholder(spec)} (${spec.description})`;
      if (/ambiguous/.test(message)) return `${flag} needs ${what}; to pass a value that starts with "-", write ${flag}=<value>`;
      return `${flag} needs ${what}`;
    }
    default:
      return message.split('\n')[0]!;
  }
}

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * A command line parsed with `node:util` `parseArgs` (strict) from a declarative spec: typed
 * values keyed by camel-cased option names, defaults, checks, and the generated `--help` text.
 */
export function defineCommand<const S extends OptionSpecs, T = Values<S>>(spec: CommandSpec<S, T>): Command<T> {
  if ('help' in spec.options) throw new Error('--help is provided by defineCommand; do not declare it');
  const usage = renderUsage(spec);
  const hint = `run with --help for usage (${spec.run} --help)`;
  const nodeOptions = Object.fromEntries([
    ...Object.entries(spec.options).map(([name, o]) => [
      name,
      o.type === 'boolean' ? { type: 'boolean' as const, ...(o.short === undefined ? {} : { short: o.short }) } : { type: 'string' as const },
    ]),
    ['help', { type: 'boolean' as const, short: 'h' }],
  ]);

  const wantsHelp = (argv: readonly string[]): boolean => {
    const end = argv.indexOf('--');
    return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
  };

  const parse = (argv: readonly string[]): T => {
    let raw: Record<string, string | boolean | undefined>;
    try {
      raw = parseArgs({ args: [...argv], options: nodeOptions, strict: true, allowPositionals: false }).values as typeof raw;
    } catch (err) {
      throw new CliUsageError([translate(err, spec.options)], hint);
    }
    const problems: string[] = [];
    const values: Record<string, unknown> = {};
    for (const [name, o] of Object.entries(spec.options)) values[camelCase(name)] = optionValue(name, o, raw[name], problems);
    if (problems.length > 0) throw new CliUsageError(problems, hint);
    if (spec.build === undefined) return values as T;
    try {
      return spec.build(values as Values<S>, (problem) => {
        throw new Failed(problem);
      });
    } catch (err) {
      if (err instanceof Failed) throw new CliUsageError([err.message], hint);
      throw err;
    }
  };

  const resolve = (argv: readonly string[]): Outcome<T> => {
    if (wantsHelp(argv)) return { kind: 'help', text: usage };
    let value: T;
    try {
      value = parse(argv);
    } catch (err) {
      if (err instanceof CliUsageError) return { kind: 'invalid', text: err.message };
      throw err;
    }
    const { values: raw } = parseArgs({ args: [...argv], options: nodeOptions, strict: true, allowPositionals: false });
    const missing = Object.entries(spec.options).flatMap(([name, o]) => {
      const path = (raw as Record<string, unknown>)[name] ?? (o.type === 'string' ? o.default : undefined);
      if (o.type !== 'string' || o.file === undefined || typeof path !== 'string') return [];
      return inputFileProblem(`--${name}`, path, o.file) ?? [];
    });
    if (missing.length > 0) return { kind: 'invalid', text: [...missing, hint].join('\n') };
    return { kind: 'ok', value };
  };

  return {
    usage,
    wantsHelp,
    parse,
    resolve,
    parseOrExit(argv, io = processIo) {
      const outcome = resolve(argv);
      if (outcome.kind === 'ok') return outcome.value;
      if (outcome.kind === 'help') {
        io.stdout(`${outcome.text}\n`);
        return io.exit(0);
      }
      io.stderr(`${outcome.text}\n`);
      return io.exit(2);
    },
  };
}
