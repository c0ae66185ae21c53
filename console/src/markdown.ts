/**
 * A small Markdown renderer that builds DOM nodes, never HTML text: headings, paragraphs, lists,
 * block quotes, fenced code, tables, and inline code, bold, italic and links (http, https and
 * mailto only). Raw HTML in the Markdown stays text, so a report cannot inject markup or script.
 */
import { h } from './dom.ts';

export function renderMarkdown(markdown: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = /^```/.exec(line);
    if (fence) {
      const code: string[] = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i]!)) code.push(lines[i++]!);
      i++;
      fragment.append(h('pre', {}, h('code', {}, code.join('\n'))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      // The result view's own heading is an h3: report headings start below it.
      const level = Math.min(6, heading[1]!.length + 3) as 4 | 5 | 6;
      fragment.append(inline(h(`h${level}`), heading[2]!));
      i++;
      continue;
    }
    if (/^\s*\|.*\|\s*$/.test(line) && i + 1 < lines.length && /^\s*\|?[\s:-]+\|[\s|:-]*$/.test(lines[i + 1]!)) {
      const rows: string[][] = [];
      const cells = (row: string) => row.trim().replace(/^\||\|$/g, '').split('|').map((cell) => cell.trim());
      const header = cells(line);
      i += 2;
      while (i < lines.length && /^\s*\|.*\|\s*$/.test(lines[i]!)) rows.push(cells(lines[i++]!));
      fragment.append(
        h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ...header.map((cell) => inline(h('th', { scope: 'col' }), cell)))),
            h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((cell) => inline(h('td'), cell))))),
          ),
        ),
      );
      continue;
    }
    const listItem = /^\s*([-*+]|\d+[.)])\s+/;
    if (listItem.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = h(ordered ? 'ol' : 'ul');
      while (i < lines.length && listItem.test(lines[i]!)) list.append(inline(h('li'), lines[i++]!.replace(listItem, '')));
      fragment.append(list);
      continue;
    }
    if (/^>\s?/.test(line)) {
      const quoted: string[] = [];
      while (i < lines.length && /^>\s?/.test(lines[i]!)) quoted.push(lines[i++]!.replace(/^>\s?/, ''));
      fragment.append(h('blockquote', {}, renderMarkdown(quoted.join('\n'))));
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '' && !/^(```|#{1,6}\s|>|\s*([-*+]|\d+[.)])\s)/.test(lines[i]!)) paragraph.push(lines[i++]!);
    if (paragraph.length === 0) paragraph.push(lines[i++]!);
    fragment.append(inline(h('p'), paragraph.join(' ')));
  }
  return fragment;
}

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*|__[^_]+__)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)|(\[[^\]]+\]\([^)\s]+\))/;

/** Appends `text` to `element` with its inline marks as elements; everything else as text. */
function inline<E extends HTMLElement>(element: E, text: string): E {
  let rest = text;
  while (rest.length > 0) {
    const match = INLINE.exec(rest);
    if (!match) {
      element.append(rest);
      break;
    }
    if (match.index > 0) element.append(rest.slice(0, match.index));
    const [token, code, strong, emphasis, link] = match;
    if (code) element.append(h('code', {}, code.slice(1, -1)));
    else if (strong) element.append(inline(h('strong'), strong.slice(2, -2)));
    else if (emphasis) element.append(inline(h('em'), emphasis.slice(1, -1)));
    else if (link) {
      const [, label, href] = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(link)!;
      if (/^(https?:|mailto:)/i.test(href!)) element.append(inline(h('a', { href: href!, rel: 'noopener noreferrer', target: '_blank' }), label!));
      else element.append(label!);
    }
    rest = rest.slice(match.index + token.length);
  }
  return element;
}
