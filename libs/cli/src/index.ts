export { CliUsageError, defineCommand, type CliIo, type Command, type Outcome } from './command';
export { inputFileProblem } from './files';
export type { BooleanOption, CamelCase, CommandSpec, ListOption, NumberOption, OptionSpec, OptionSpecs, OptionValue, StringOption, Values } from './spec';
