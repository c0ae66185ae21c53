/**
 * Strings that match a regular expression, for the JSON-Schema sampler's `pattern`s (ECMA-262
 * syntax, `u` flag first): a small parser and generator, plus the literal patterns zod writes for
 * startsWith / endsWith / includes. Candidates only: the sampler checks each against the patterns.
 *
 * Written here rather than taken from randexp (0.6.1, tried): its parser (ret) reads `\p{...}` and
 * `\u{...}` as literal text, so under the `u` flag that JSON Schema patterns and zod 4 (`z.emoji()`)
 * use it yields strings that do not match; and its output is random, where this one is the
 * shortest match first, with no seeding to arrange.
 */

import { truncate } from './util.ts';

/** Upper bound of one rendered repetition. */
const MAX_REPEAT = 10_000;

/** `pattern` compiled with the `u` flag, else without; undefined if it is not a valid regex. */
export function compilePattern(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch {
      return undefined;
    }
  }
}

const REGEX_META = /[\\^$.*+?()[\]{}|]/;

/** A literal pattern's text, or undefined if it has unescaped metacharacters. */
function literalOf(pattern: string): string | undefined {
  const unescaped = pattern.replace(/\\(.)/gu, '\u0000$1');
  if (REGEX_META.test(unescaped.replace(/\u0000./gu, ''))) return undefined;
  return unescaped.replace(/\u0000/g, '');
}

/**
 * zod's startsWith / endsWith / includes checks become the patterns `^lit.*`, `.*lit$` and `lit`:
 * one string satisfying them all is prefix + label + includes + suffix.
 */
export function composeLiterals(patterns: readonly string[], label: string, maxLength: number): string | undefined {
  let prefix = '';
  let suffix = '';
  const includes: string[] = [];
  for (const pattern of patterns) {
    const starts = /^\^(.*)\.\*\$?$/su.exec(pattern);
    const ends = /^\^?\.\*(.*)\$$/su.exec(pattern);
    const startLiteral = starts?.[1] === undefined ? undefined : literalOf(starts[1]);
    const endLiteral = ends?.[1] === undefined ? undefined : literalOf(ends[1]);
    const literal = literalOf(pattern);
    if (startLiteral !== undefined) prefix = startLiteral;
    else if (endLiteral !== undefined) suffix = endLiteral;
    else if (literal !== undefined) includes.push(literal);
    else return undefined;
  }
  const fixed = `${prefix}${includes.map((literal) => ` ${literal}`).join('')}${suffix}`;
  const room = Number.isFinite(maxLength) ? Math.max(maxLength - fixed.length, 0) : label.length;
  const middle = truncate(label, room);
  return `${prefix}${middle}${includes.map((literal) => ` ${literal}`).join('')}${suffix}`;
}

type RegexNode =
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly kind: 'alt'; readonly options: readonly RegexNode[] }
  | { readonly kind: 'repeat'; readonly node: RegexNode; readonly min: number; readonly max: number };

const EMPTY_NODE: RegexNode = { kind: 'text', value: '' };
/** What the one-character escapes `\<c>` stand for: a character they match (`\b`, `\B`: nothing). */
const ESCAPES: ReadonlyMap<string, string> = new Map(
  Object.entries({ d: '0', D: 'a', w: 'a', S: 'a', W: '-', s: ' ', b: '', B: '', n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', '0': '\0' }),
);
const CLASS_CANDIDATES = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...'-_ .+/:=@#,;!?~*&%$()[]{}<>\'"\\|^`\t\n',
  '\u00e9',
  '\u{1F642}',
  '\u{1F1FA}',
];

/** Candidate strings for a regular expression: the shortest, then with longer repetitions. */
export function* regexSamples(pattern: string): Generator<string> {
  let node: RegexNode;
  try {
    node = new RegexParser(pattern).parse();
  } catch {
    return;
  }
  for (const last of [false, true]) {
    for (const extra of [0, 1, 2, 4, 8, 16, 32, 64]) yield renderRegex(node, extra, last);
  }
}

function renderRegex(node: RegexNode, extra: number, last: boolean): string {
  switch (node.kind) {
    case 'text':
      return node.value;
    case 'seq':
      return node.items.map((item) => renderRegex(item, extra, last)).join('');
    case 'alt': {
      const option = last ? node.options.at(-1) : node.options[0];
      return option === undefined ? '' : renderRegex(option, extra, last);
    }
    case 'repeat': {
      const times = Math.min(node.min + extra, node.max, MAX_REPEAT);
      return renderRegex(node.node, extra, last).repeat(times);
    }
  }
}

/** A small parser for the regular expressions JSON Schema patterns use (ECMA-262 syntax). */
class RegexParser {
  private at = 0;

  constructor(private readonly source: string) {}

  parse(): RegexNode {
    const node = this.alternation();
    if (this.at < this.source.length) throw new Error('unbalanced )');
    return node;
  }

  private peek(): string {
    return this.source.charAt(this.at);
  }

  private alternation(): RegexNode {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.at += 1;
      options.push(this.sequence());
    }
    return options.length === 1 ? (options[0] ?? EMPTY_NODE) : { kind: 'alt', options };
  }

  private sequence(): RegexNode {
    const items: RegexNode[] = [];
    while (this.at < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
      items.push(this.quantified(this.atom()));
    }
    return { kind: 'seq', items };
  }

  private quantified(atom: RegexNode): RegexNode {
    const char = this.peek();
    let min: number;
    let max: number;
    if (char === '*' || char === '+' || char === '?') {
      min = char === '+' ? 1 : 0;
      max = char === '?' ? 1 : Number.POSITIVE_INFINITY;
      this.at += 1;
    } else if (char === '{') {
      const braces = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.at));
      if (braces === null) return atom;
      min = Number(braces[1]);
      max = braces[2] === undefined ? min : braces[3] === '' ? Number.POSITIVE_INFINITY : Number(braces[3]);
      this.at += braces[0].length;
    } else {
      return atom;
    }
    if (this.peek() === '?') this.at += 1; // lazy
    return { kind: 'repeat', node: atom, min, max };
  }

  private atom(): RegexNode {
    const char = this.peek();
    if (char === '(') return this.group();
    if (char === '[') return { kind: 'text', value: this.characterClass() };
    if (char === '\\') return this.escape();
    this.at += 1;
    if (char === '^' || char === '$') return EMPTY_NODE;
    if (char === '.') return { kind: 'text', value: 'a' };
    const point = this.source.codePointAt(this.at - 1) ?? 0;
    const whole = String.fromCodePoint(point);
    this.at += whole.length - 1;
    return { kind: 'text', value: whole };
  }

  private group(): RegexNode {
    this.at += 1;
    let lookaround = false;
    const rest = this.source.slice(this.at);
    if (rest.startsWith('?:')) this.at += 2;
    else if (rest.startsWith('?=') || rest.startsWith('?!')) {
      this.at += 2;
      lookaround = true;
    } else if (rest.startsWith('?<=') || rest.startsWith('?<!')) {
      this.at += 3;
      lookaround = true;
    } else if (rest.startsWith('?<')) this.at = this.source.indexOf('>', this.at) + 1;
    const inner = this.alternation();
    if (this.peek() !== ')') throw new Error('unterminated group');
    this.at += 1;
    return lookaround ? EMPTY_NODE : inner; // assertions produce nothing; the result is checked anyway
  }

  private characterClass(): string {
    const start = this.at;
    this.at += 1;
    if (this.peek() === '^') this.at += 1;
    while (this.at < this.source.length && this.peek() !== ']') this.at += this.peek() === '\\' ? 2 : 1;
    if (this.at >= this.source.length) throw new Error('unterminated class');
    this.at += 1;
    return pickMatching(`^${this.source.slice(start, this.at)}$`);
  }

  private escape(): RegexNode {
    const char = this.source.charAt(this.at + 1);
    this.at += 2;
    const text = (value: string): RegexNode => ({ kind: 'text', value });
    const fixed = ESCAPES.get(char);
    if (fixed !== undefined) return text(fixed);
    switch (char) {
      case 'x': {
        const hex = this.source.slice(this.at, this.at + 2);
        this.at += 2;
        return text(String.fromCharCode(Number.parseInt(hex, 16)));
      }
      case 'u': {
        if (this.peek() === '{') {
          const close = this.source.indexOf('}', this.at);
          const point = Number.parseInt(this.source.slice(this.at + 1, close), 16);
          this.at = close + 1;
          return text(String.fromCodePoint(point));
        }
        const hex = this.source.slice(this.at, this.at + 4);
        this.at += 4;
        return text(String.fromCharCode(Number.parseInt(hex, 16)));
      }
      case 'p':
      case 'P': {
        const close = this.source.indexOf('}', this.at);
        const property = this.source.slice(this.at, close + 1);
        this.at = close + 1;
        return text(pickMatching(`^\\${char}${property}$`));
      }
      case 'k':
        this.at = this.source.indexOf('>', this.at) + 1;
        return EMPTY_NODE;
      case 'c':
        this.at += 1;
        return text(String.fromCharCode(this.source.charCodeAt(this.at - 1) % 32));
      default:
        if (/[1-9]/.test(char)) {
          while (/\d/.test(this.peek())) this.at += 1;
          return EMPTY_NODE; // backreference: rarely valid as empty; the result is checked
        }
        return text(char);
    }
  }
}

/** The first candidate character that matches a one-character regular expression. */
function pickMatching(source: string): string {
  const regex = compilePattern(source);
  const found = regex === undefined ? undefined : CLASS_CANDIDATES.find((candidate) => regex.test(candidate));
  if (found === undefined) throw new Error(`no sample character for ${source}`);
  return found;
}
