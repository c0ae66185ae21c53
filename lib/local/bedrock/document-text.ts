/** The text the Bedrock stand-in reads from a document, which its answers quote and count. */

/**
 * The text the stand-in reads from a document: txt, md and csv decoded as UTF-8; html decoded and
 * stripped of tags, comments, scripts and styles; pdf: the strings shown by the text operators
 * (`Tj`, `TJ`, `'`, `"`) of its uncompressed content streams, or `[pdf, N bytes]` when there are
 * none (compressed streams, scanned pages); other formats (docx, doc, xls, xlsx): `[<format>, N bytes]`.
 */
export function documentText(format: string, bytes: Uint8Array): string {
  switch (format) {
    case 'txt':
    case 'md':
    case 'csv':
      return utf8(bytes);
    case 'html':
      return htmlText(utf8(bytes));
    case 'pdf':
      return pdfText(bytes) ?? `[pdf, ${bytes.length} bytes]`;
    default:
      return `[${format}, ${bytes.length} bytes]`;
  }
}

function utf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function htmlText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (entity: string, code: string) => {
      if (code.startsWith('#')) {
        const point = code[1] === 'x' || code[1] === 'X' ? Number.parseInt(code.slice(2), 16) : Number(code.slice(1));
        return point > 0 && point <= 0x10ffff ? String.fromCodePoint(point) : entity;
      }
      return HTML_ENTITIES[code.toLowerCase()] ?? entity;
    });
}

/** Crude: the text operators' strings of the unfiltered content streams; undefined if none. */
function pdfText(bytes: Uint8Array): string | undefined {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (!raw.slice(0, 1024).includes('%PDF-')) return undefined;
  const pieces: string[] = [];
  const streamStart = /stream\r?\n/g;
  for (let match = streamStart.exec(raw); match !== null; match = streamStart.exec(raw)) {
    if (raw.slice(match.index - 3, match.index) === 'end') continue; // `endstream`
    const start = match.index + match[0].length;
    const end = raw.indexOf('endstream', start);
    if (end < 0) break;
    const objectStart = raw.lastIndexOf('obj', match.index);
    const dictionary = raw.slice(Math.max(objectStart, 0), match.index);
    if (!/\/Filter\b/.test(dictionary)) pieces.push(...pdfTextOperators(raw.slice(start, end)));
    streamStart.lastIndex = end + 'endstream'.length;
  }
  const text = pieces.join(' ').replace(/\s+/g, ' ').trim();
  return text === '' ? undefined : text;
}

const PDF_DELIMITERS = new Set(['(', ')', '<', '>', '[', ']', '{', '}', '/', '%']);
const PDF_TEXT_OPERATORS = new Set(['Tj', 'TJ', "'", '"']);

/** The strings shown by one content stream's text operators, in order. */
function pdfTextOperators(content: string): string[] {
  const shown: string[] = [];
  let operands: string[] = [];
  let array: string[] | undefined;
  let i = 0;
  while (i < content.length) {
    const char = content.charAt(i);
    if (char === '(') {
      const [text, next] = pdfLiteralString(content, i);
      (array ?? operands).push(text);
      i = next;
    } else if (char === '<' && content.charAt(i + 1) !== '<') {
      const close = content.indexOf('>', i);
      const hex = content.slice(i + 1, close < 0 ? content.length : close).replace(/[^0-9a-fA-F]/g, '');
      (array ?? operands).push(Buffer.from(hex.length % 2 === 0 ? hex : `${hex}0`, 'hex').toString('latin1'));
      i = close < 0 ? content.length : close + 1;
    } else if (char === '[') {
      array = [];
      i += 1;
    } else if (char === ']') {
      operands.push((array ?? []).join(''));
      array = undefined;
      i += 1;
    } else if (char === '%') {
      const lineEnd = content.slice(i).search(/[\r\n]/);
      i = lineEnd < 0 ? content.length : i + lineEnd;
    } else if (/\s/.test(char) || PDF_DELIMITERS.has(char)) {
      i += 1;
      if (char === '/') while (i < content.length && !/\s/.test(content.charAt(i)) && !PDF_DELIMITERS.has(content.charAt(i))) i += 1;
    } else {
      let end = i;
      while (end < content.length && !/\s/.test(content.charAt(end)) && !PDF_DELIMITERS.has(content.charAt(end))) end += 1;
      const token = content.slice(i, end);
      i = end;
      if (/^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(token)) {
        // In a TJ array, a large negative adjustment is a word gap.
        if (array !== undefined && Number(token) <= -200) array.push(' ');
        continue;
      }
      if (PDF_TEXT_OPERATORS.has(token)) {
        const text = operands.at(-1);
        if (text !== undefined) shown.push(text);
      }
      if (array === undefined) operands = [];
    }
  }
  return shown;
}

const PDF_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

/** A PDF literal string starting at `start` (its `(`): its text and the index after its `)`. */
function pdfLiteralString(content: string, start: number): [string, number] {
  let depth = 0;
  let text = '';
  let i = start;
  while (i < content.length) {
    const char = content.charAt(i);
    if (char === '\\') {
      const next = content.charAt(i + 1);
      const octal = /^[0-7]{1,3}/.exec(content.slice(i + 1, i + 4));
      if (octal !== null) {
        text += String.fromCharCode(Number.parseInt(octal[0], 8) & 0xff);
        i += 1 + octal[0].length;
        continue;
      }
      if (next === '\r') i += content.charAt(i + 2) === '\n' ? 3 : 2; // line continuation
      else if (next === '\n') i += 2;
      else {
        text += PDF_ESCAPES[next] ?? next;
        i += 2;
      }
      continue;
    }
    if (char === '(') {
      depth += 1;
      if (depth > 1) text += char;
    } else if (char === ')') {
      depth -= 1;
      if (depth === 0) return [text, i + 1];
      text += char;
    } else {
      text += char;
    }
    i += 1;
  }
  return [text, i];
}

