/**
 * The module specifiers a TypeScript or JavaScript source names: static imports and re-exports
 * (type-only ones too), side-effect imports, `import x = require(…)`, and dynamic `import(…)`
 * (also in type positions) and `require(…)` with a string literal. Comments, strings, template
 * literals and regular expressions are skipped, so text that only looks like an import is not one.
 *
 * A small tokenizer rather than a parser: the project's TypeScript compiler has no JavaScript API
 * (TypeScript 7), and esbuild drops type-only imports before it reports any.
 */

type Token =
  | { readonly kind: 'word' | 'punct'; readonly value: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'template' | 'regex' };

/** After these words a `/` starts a regular expression, not a division. */
const BEFORE_EXPRESSION = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
]);

const WORD = /[\p{ID_Continue}$\u200c\u200d]/u;

export function importSpecifiers(source: string): string[] {
  const tokens = tokenize(source);
  const specifiers: string[] = [];
  const at = (index: number) => tokens[index];
  const isWord = (index: number, value: string) => {
    const token = at(index);
    return token?.kind === 'word' && token.value === value;
  };
  const isPunct = (index: number, value: string) => {
    const token = at(index);
    return token?.kind === 'punct' && token.value === value;
  };
  const stringAt = (index: number) => {
    const token = at(index);
    return token?.kind === 'string' ? token.value : undefined;
  };
  for (let index = 0; index < tokens.length; index++) {
    // A property named import, require or from (but not a spread: `...require(…)`).
    if (isPunct(index - 1, '.') && !isPunct(index - 2, '.')) continue;
    let specifier: string | undefined;
    if (isWord(index, 'from') || isWord(index, 'import')) specifier = stringAt(index + 1);
    if (specifier === undefined && (isWord(index, 'import') || isWord(index, 'require')) && isPunct(index + 1, '(')) {
      specifier = stringAt(index + 2);
    }
    if (specifier !== undefined) specifiers.push(specifier);
  }
  return specifiers;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  /** What each open `{` belongs to: a block or object, or a template's `${`. */
  const braces: ('block' | 'template')[] = [];
  let index = 0;

  /** Reads template text from `index` (just after a backtick or a closing `}` of `${`). */
  const templateText = () => {
    while (index < source.length) {
      const char = source[index]!;
      if (char === '\\') {
        index += 2;
      } else if (char === '`') {
        index++;
        tokens.push({ kind: 'template' });
        return;
      } else if (char === '$' && source[index + 1] === '{') {
        index += 2;
        braces.push('template');
        return;
      } else {
        index++;
      }
    }
  };

  const regexAllowed = () => {
    const previous = tokens.at(-1);
    if (!previous) return true;
    if (previous.kind === 'word') return BEFORE_EXPRESSION.has(previous.value);
    if (previous.kind === 'punct') return ![')', ']', '}'].includes(previous.value);
    return false;
  };

  while (index < source.length) {
    const char = source[index]!;
    const next = source[index + 1];
    if (/\s/.test(char)) {
      index++;
    } else if (char === '/' && next === '/') {
      const end = source.indexOf('\n', index);
      index = end < 0 ? source.length : end;
    } else if (char === '/' && next === '*') {
      const end = source.indexOf('*/', index + 2);
      index = end < 0 ? source.length : end + 2;
    } else if (char === '/' && regexAllowed()) {
      let inClass = false;
      index++;
      while (index < source.length && source[index] !== '\n') {
        const c = source[index]!;
        index++;
        if (c === '\\') index++;
        else if (c === '[') inClass = true;
        else if (c === ']') inClass = false;
        else if (c === '/' && !inClass) break;
      }
      while (index < source.length && WORD.test(source[index]!)) index++; // flags
      tokens.push({ kind: 'regex' });
    } else if (char === '"' || char === "'") {
      let value = '';
      index++;
      while (index < source.length && source[index] !== char && source[index] !== '\n') {
        if (source[index] === '\\') {
          value += source[index + 1] ?? '';
          index += 2;
        } else {
          value += source[index];
          index++;
        }
      }
      index++;
      tokens.push({ kind: 'string', value });
    } else if (char === '`') {
      index++;
      templateText();
    } else if (char === '{') {
      braces.push('block');
      tokens.push({ kind: 'punct', value: char });
      index++;
    } else if (char === '}') {
      index++;
      if (braces.pop() === 'template') templateText();
      else tokens.push({ kind: 'punct', value: char });
    } else if (WORD.test(char)) {
      const start = index;
      while (index < source.length && WORD.test(source[index]!)) index++;
      tokens.push({ kind: 'word', value: source.slice(start, index) });
    } else {
      tokens.push({ kind: 'punct', value: char });
      index++;
    }
  }
  return tokens;
}
