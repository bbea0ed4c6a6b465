// Markup built so that nothing interpolated can become markup: `html` escapes every value put
// into it unless the value is itself Html made the same way. Names, labels, reasons and messages
// come from hosts and users, so a page is only ever assembled with this template.
//
//   html`<td>${vm.name}</td>`            // escaped text
//   html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`   // lists of Html are joined

/** Markup that is safe to emit as is: made by `html` (or `raw` for the console's own constants). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What may be put into `html`: text (escaped), numbers, Html, lists of those; null and undefined print nothing. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text as element content or a quoted attribute value. Characters XML does not allow (C0 controls
 * but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF) become U+FFFD, so a host's odd bytes
 * keep the page well-formed instead of breaking it.
 */
export function escapeText(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeText(String(v));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** The console's own constant markup (never anything that came in a request or from a host). */
export function raw(text: string): Html {
  return new Html(text);
}

/** A link path segment: the name percent-encoded for the URL (then escaped by `html` for the attribute). */
export function pathSegment(name: string): string {
  return encodeURIComponent(name);
}
