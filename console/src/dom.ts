/** Building DOM nodes: text is always a text node, so nothing a job returns is parsed as HTML. */

type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function clear(element: Element): void {
  while (element.firstChild) element.removeChild(element.firstChild);
}

/** `PARSE_DOCUMENT` → `Parse document`, `AI_PREVIEW` → `AI preview`. */
export function humanize(name: string): string {
  const words = name.replace(/([a-z])([A-Z])/g, '$1 $2').replaceAll('_', ' ').toLowerCase().replace(/\bai\b/g, 'AI');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A short local time: `14:03:27`, the full date in the title. */
export function time(iso: string | null): HTMLElement | string {
  if (!iso) return '–';
  return h('time', { datetime: iso, title: iso }, new Date(iso).toLocaleTimeString());
}
