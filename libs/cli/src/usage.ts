import type { CommandSpec, OptionSpec, OptionSpecs } from './spec';

const WIDTH = 100;

/** The value placeholder shown after an option's name. */
export function placeholder(o: OptionSpec): string {
  if (o.placeholder !== undefined) return o.placeholder;
  switch (o.type) {
    case 'boolean':
      return '';
    case 'string':
      if (o.choices !== undefined) return o.choices.join('|');
      return o.file !== undefined ? '<path>' : '<value>';
    case 'number':
      return '<x>';
    case 'integer':
      return '<n>';
    case 'list':
      return o.item === undefined || o.item === 'string' ? '<a,b,...>' : '<n,n,...>';
  }
}

function defaultText(o: OptionSpec): string | undefined {
  if (o.defaultText !== undefined) return o.defaultText;
  if (o.type === 'boolean') return undefined;
  if (o.required === true) return undefined;
  if (o.default === undefined) return undefined;
  if (typeof o.default === 'number') return Number.isFinite(o.default) ? String(o.default) : 'all';
  if (typeof o.default === 'string') return o.default;
  return o.default.join(',');
}

function describe(o: OptionSpec): string {
  let text = o.description;
  if (o.type === 'list' && o.choices !== undefined) text += `; any of ${o.choices.join(', ')}`;
  if (o.type !== 'boolean' && o.required === true) return `${text} (required)`;
  const d = defaultText(o);
  return d === undefined ? text : `${text} (default ${d})`;
}

/** Words of `text` in lines of at most `width` characters, every line after the first indented. */
function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line.length === 0 ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

function synopsis<S extends OptionSpecs, T>(spec: CommandSpec<S, T>): string {
  const required = Object.entries(spec.options)
    .filter(([, o]) => o.type !== 'boolean' && o.required === true)
    .map(([name, o]) => `--${name} ${placeholder(o)}`);
  return [spec.run, ...required, '[options]'].join(' ');
}

/** The `--help` text: synopsis, what the command does, every option with its default, examples. */
export function renderUsage<S extends OptionSpecs, T>(spec: CommandSpec<S, T>): string {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, o]) => {
    const p = placeholder(o);
    return [`--${name}${p === '' ? '' : ` ${p}`}`, describe(o)];
  });
  rows.push(['-h, --help', 'print this help and exit']);
  const column = Math.min(32, Math.max(...rows.map(([left]) => left.length)) + 2);
  const indent = ' '.repeat(2 + column);
  const lines = rows.map(([left, right]) => {
    const head = left.length + 2 > column ? `  ${left}\n${indent}` : `  ${left.padEnd(column)}`;
    return head + wrap(right, WIDTH - indent.length, indent);
  });
  return [
    `usage: ${synopsis(spec)}`,
    '',
    wrap(spec.summary, WIDTH, ''),
    '',
    'Options:',
    ...lines,
    '',
    spec.examples.length === 1 ? 'Example:' : 'Examples:',
    ...spec.examples.map((e) => `  ${e}`),
  ].join('\n');
}
