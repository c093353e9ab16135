/**
 * A command line as the shell reads it: words split as a POSIX shell splits them (single
 * quotes, double quotes, backslash escapes), then flags parsed by the command's own table.
 */
import { UsageError } from './shell-errors';

export interface FlagSpec {
  /** The long name, without dashes: `persistent` for `--persistent`. */
  name: string;
  /** The one-letter form, without the dash: `e` for `-e`. */
  short?: string;
  /** What the flag takes, when it takes a value; a bare flag otherwise. */
  value?: 'number' | 'text';
  /** The value's name in help: `MS` in `--ttl MS`. */
  valueName?: string;
  help: string;
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/** Splits a line into words. An unclosed quote is a usage error. */
export function splitWords(line: string): string[] {
  const { words, openQuote } = scanWords(line);
  if (openQuote !== null) throw new UsageError(`unclosed ${openQuote} quote`);
  return words;
}

/**
 * Splits a partial line as completion needs it: the words so far and whether the cursor
 * stands after a space (a new, empty word begins). An open quote is tolerated.
 */
export function splitPartial(line: string): { words: string[]; atNewWord: boolean } {
  const { words, endsInSpace } = scanWords(line);
  return { words, atNewWord: endsInSpace || words.length === 0 };
}

function scanWords(line: string): {
  words: string[];
  openQuote: string | null;
  endsInSpace: boolean;
} {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return { words, openQuote: quote, endsInSpace: !inWord && /\s$/.test(line) };
}

/**
 * Parses a command's words by its flag table. Flags may come anywhere; `--` ends them;
 * short flags combine (`-es`); a value follows its flag (`-v 3`, `-v3`, `--depth=2`).
 */
export function parseArgs(command: string, words: string[], specs: FlagSpec[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const take = (spec: FlagSpec, inline: string | undefined, i: number): number => {
    if (spec.value === undefined) {
      if (inline !== undefined) throw new UsageError(`${command}: --${spec.name} takes no value`);
      flags.set(spec.name, true);
      return i;
    }
    const value = inline ?? words[i + 1];
    if (value === undefined) throw new UsageError(`${command}: --${spec.name} needs a value`);
    if (spec.value === 'number' && !/^-?\d+$/.test(value)) {
      throw new UsageError(`${command}: --${spec.name} needs a whole number, not ${value}`);
    }
    flags.set(spec.name, value);
    return inline === undefined ? i + 1 : i;
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--') {
      positional.push(...words.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const [name, inline] = splitOnce(word.slice(2), '=');
      const spec = specs.find((s) => s.name === name);
      if (spec === undefined) throw new UsageError(`${command}: unknown flag --${name}`);
      i = take(spec, inline, i);
    } else if (word.startsWith('-') && word.length > 1 && !/^-\d/.test(word)) {
      for (let k = 1; k < word.length; k++) {
        const spec = specs.find((s) => s.short === word[k]);
        if (spec === undefined) throw new UsageError(`${command}: unknown flag -${word[k]}`);
        if (spec.value !== undefined) {
          const rest = word.slice(k + 1);
          i = take(spec, rest === '' ? undefined : rest, i);
          break;
        }
        take(spec, undefined, i);
      }
    } else {
      positional.push(word);
    }
  }
  return { positional, flags };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** A flag's number, or undefined when it was not given. */
export function numberFlag(args: ParsedArgs, name: string): number | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? Number(value) : undefined;
}

/** A flag's text, or undefined when it was not given. */
export function textFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}
