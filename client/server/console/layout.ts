// The frame of every console page: a polyglot document (well-formed XML that is also HTML), one
// inline stylesheet allowed by its hash in the Content-Security-Policy, and the navigation.
import { createHash } from 'node:crypto';
import type { Principal } from '../ApiRouter.js';
import { html, raw, type Html } from './html.js';

const STYLE = [
  'body{font-family:sans-serif;margin:1em 2em;color:#111}',
  'table{border-collapse:collapse;margin:.5em 0 1.5em}',
  'th,td{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top}',
  'th{background:#eee}',
  '.problem{color:#a00}',
  '.nav a{margin-right:1em}',
  '.muted{color:#555}',
  'ul{margin:0;padding-left:1.2em}',
  'form{display:inline;margin-right:.5em}',
].join('');

/**
 * The console's headers: only the inline stylesheet above may apply (no scripts, images or
 * frames), forms may post to this server only, the page may not be framed, cached, sniffed as
 * anything else, or leak its URL (TVDc and VM names) or its forms' tokens in a Referer to another site.
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  // same-origin, not no-referrer: under no-referrer a browser sends its form posts with
  // `Origin: null`, which requireSameOrigin must refuse (sandboxed and data: pages send that too),
  // so no form of the console would work. Other sites still get no Referer.
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** Links from any console page back to the top. Pages live one or two levels under /console/. */
function nav(base: string): Html {
  return html`<p class="nav"><a href="${base}">Overview</a><a href="${base}events">Events</a><a href="${base}violations">Violations</a><a href="${base}audit">Audit trail</a></p>
`;
}

export interface PageOptions {
  title: string;
  /** Who is looking (absent on the login and error pages seen before authentication). */
  principal?: Principal;
  /** The relative path from this page to /console/ (`./` or `../`). */
  base?: string;
}

export function page(o: PageOptions, body: Html): string {
  const base = o.base ?? './';
  const who = o.principal
    ? html`<p class="muted">Signed in as ${o.principal.user} (${o.principal.role}${o.principal.role === 'tvdcadmin' ? html`: ${o.principal.groups.length ? o.principal.groups.join(', ') : 'no TVDcs'}` : ''}). A TVDc's page assigns and removes its labels, starts, stops and migrates its VMs, attests it and (a dcadmin) deploys its policy; the tvdc CLI and the JSON API do everything else.</p>`
    : null;
  return html`<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta charset="utf-8"/>
<title>${o.title} - tvdc</title>
<style>${raw(STYLE)}</style>
</head>
<body>
${o.principal ? nav(base) : null}<h1>${o.title}</h1>
${who}
${body}
</body>
</html>
`.text;
}
