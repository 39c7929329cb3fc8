import type { ListOption, NumberOption, OptionSpec, StringOption } from './spec';

/** `what` of a number option in a sentence: "a positive integer", "a number from 0 to 1". */
function numberExpectation(o: Pick<NumberOption, 'min' | 'max'>, integer: boolean, plural = false): string {
  const kind = plural ? (integer ? 'integers' : 'numbers') : integer ? 'an integer' : 'a number';
  const { min, max } = o;
  if (integer && min === 1 && max === undefined) return plural ? 'positive integers' : 'a positive integer';
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min !== undefined) return `${kind} ≥ ${min}`;
  if (max !== undefined) return `${kind} ≤ ${max}`;
  return kind;
}

function toNumber(raw: string, o: Pick<NumberOption, 'min' | 'max'>, integer: boolean): number | undefined {
  if (raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) return undefined;
  if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) return undefined;
  return n;
}

/** The canonical spelling of `raw` among `choices` (case-insensitive), or undefined. */
function pick(choices: readonly string[], raw: string): string | undefined {
  const lower = raw.trim().toLowerCase();
  return choices.find((c) => c.toLowerCase() === lower);
}

function requiredProblem(flag: string, o: OptionSpec): string {
  return `${flag} is required: ${o.description}`;
}

function stringValue(flag: string, o: StringOption, raw: string, problems: string[]): string {
  if (o.choices !== undefined) {
    const chosen = pick(o.choices, raw);
    if (chosen === undefined) problems.push(`${flag} must be one of ${o.choices.join(', ')} (got "${raw}")`);
    return chosen ?? raw;
  }
  if (raw.trim() === '') {
    problems.push(`${flag} needs a non-empty value: ${o.description}`);
    return raw;
  }
  const expected = o.check?.(raw);
  if (expected !== undefined) problems.push(`${flag} must ${expected} (got "${raw}")`);
  return raw;
}

function listValue(flag: string, o: ListOption, raw: string, problems: string[]): readonly (string | number)[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const item = o.item ?? 'string';
  if (item !== 'string') {
    const numbers = items.map((s) => toNumber(s, o, item === 'integer'));
    if (items.length === 0 || numbers.some((n) => n === undefined)) {
      problems.push(`${flag} must be comma-separated ${numberExpectation(o, item === 'integer', true)} (got "${raw}")`);
    }
    return numbers.filter((n): n is number => n !== undefined);
  }
  if (o.choices === undefined) {
    if (items.length === 0) problems.push(`${flag} must name at least one item: ${o.description}`);
    return items;
  }
  const chosen = items.map((s) => pick(o.choices!, s));
  const unknown = items.filter((_, i) => chosen[i] === undefined);
  if (unknown.length > 0) problems.push(`${flag} must list only ${o.choices.join(', ')}, comma-separated (unknown ${unknown.join(', ')})`);
  else if (items.length === 0) problems.push(`${flag} must name at least one of ${o.choices.join(', ')}`);
  return chosen.filter((c): c is string => c !== undefined);
}

/**
 * The typed value of one option from what `parseArgs` returned for it (a string, `true`, or
 * undefined when absent); every problem found is pushed as one sentence.
 */
export function optionValue(name: string, o: OptionSpec, raw: string | boolean | undefined, problems: string[]): unknown {
  const flag = `--${name}`;
  if (o.type === 'boolean') return raw === true;
  if (typeof raw !== 'string') {
    if (o.required === true) problems.push(requiredProblem(flag, o));
    if (o.type === 'list') return o.default ?? [];
    return o.default;
  }
  switch (o.type) {
    case 'string':
      return stringValue(flag, o, raw, problems);
    case 'number':
    case 'integer': {
      const n = toNumber(raw, o, o.type === 'integer');
      if (n === undefined) problems.push(`${flag} must be ${numberExpectation(o, o.type === 'integer')} (got "${raw}")`);
      return n;
    }
    case 'list':
      return listValue(flag, o, raw, problems);
  }
}
