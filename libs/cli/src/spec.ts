/** What every option declares: the description and default shown by `--help`. */
interface OptionBase {
  /** One line for `--help`: what the option does. */
  readonly description: string;
  /** Placeholder of the value in `--help`, e.g. `<path>` (defaults by type). */
  readonly placeholder?: string;
  /** The default as `--help` shows it, when the value itself says too little (e.g. "all", "10 × --time-scale"). */
  readonly defaultText?: string;
}

/** `--name <text>`, optionally one of `choices` (matched case-insensitively) or checked by `check`. */
export interface StringOption extends OptionBase {
  readonly type: 'string';
  readonly default?: string;
  readonly required?: boolean;
  readonly choices?: readonly string[];
  /**
   * The value names an input file that must exist: what to pass instead, e.g. "a session trace such
   * as /data/FIFA.dat". Checked before the command starts anything (not by the pure `parse`).
   */
  readonly file?: string;
  /** Returns what is expected ("look like <group>/<name>") when the value is wrong, else undefined. */
  readonly check?: (value: string) => string | undefined;
}

/** `--name <n>`: any finite number (`number`) or a whole one (`integer`), within [min, max]. */
export interface NumberOption extends OptionBase {
  readonly type: 'number' | 'integer';
  readonly default?: number;
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
}

/** `--name`: a switch, false unless given. */
export interface BooleanOption extends OptionBase {
  readonly type: 'boolean';
  readonly short?: string;
}

/** `--name a,b,c`: comma-separated strings (optionally from `choices`) or numbers within [min, max]. */
export interface ListOption extends OptionBase {
  readonly type: 'list';
  readonly item?: 'string' | 'number' | 'integer';
  readonly default?: readonly (string | number)[];
  readonly required?: boolean;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
}

export type OptionSpec = StringOption | NumberOption | BooleanOption | ListOption;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** `latency-ms` → `latencyMs`. */
export type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

type Always<O> = O extends { readonly required: true } ? true : O extends { readonly default: unknown } ? true : false;

type Parsed<O> = O extends { readonly type: 'string'; readonly choices: readonly (infer C)[] }
  ? C
  : O extends { readonly type: 'string' }
    ? string
    : O extends { readonly type: 'number' | 'integer' }
      ? number
      : O extends { readonly type: 'boolean' }
        ? boolean
        : O extends { readonly type: 'list'; readonly choices: readonly (infer C)[] }
          ? readonly C[]
          : O extends { readonly type: 'list'; readonly item: 'number' | 'integer' }
            ? readonly number[]
            : O extends { readonly type: 'list' }
              ? readonly string[]
              : never;

/** Switches are false and lists empty when absent; other options without a default may be undefined. */
export type OptionValue<O> = O extends { readonly type: 'boolean' | 'list' } ? Parsed<O> : Always<O> extends true ? Parsed<O> : Parsed<O> | undefined;

/** The parsed options, keyed by the camel-cased option name. */
export type Values<S extends OptionSpecs> = { readonly [K in keyof S & string as CamelCase<K>]: OptionValue<S[K]> };

/** A command: how it is run, what it does, its options, and how the options become its arguments. */
export interface CommandSpec<S extends OptionSpecs, T> {
  /** What precedes the options on a command line, e.g. `npm run bench:store --`. */
  readonly run: string;
  /** What the command does, a sentence or two for `--help`. */
  readonly summary: string;
  readonly options: S;
  /** Complete command lines shown under "Examples" (at least one). */
  readonly examples: readonly [string, ...string[]];
  /**
   * Turns the parsed options into the command's arguments; checks that span several options
   * call `fail` with one sentence naming the option and what is expected.
   */
  readonly build?: (values: Values<S>, fail: (problem: string) => never) => T;
}
