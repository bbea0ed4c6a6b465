// What a console form post must be before the console reads a field of it: sent from the
// console's own pages (not another site's, which a browser would send with the user's Basic
// credentials all the same), as a small urlencoded form. The anti-CSRF token is checked after
// these (ConsoleTokens); each is enough alone against a browser that sends these headers.
import type Koa from 'koa';
import { ConsoleError, forbidden } from './ConsoleError.js';

/** Largest form body read: the console's forms send a few short fields. */
export const FORM_LIMIT_BYTES = 8 * 1024;

/**
 * Refuses (403) a post whose `Origin` is present and not this server's, or that the browser says
 * came from another site (`Sec-Fetch-Site: cross-site`, or `same-site`: another port or
 * subdomain of this host is another origin too).
 */
export function requireSameOrigin(ctx: Koa.Context): void {
  const origin = ctx.get('origin');
  // This server's origin is the request's own scheme and Host header, which a browser sets to the
  // server it sends to; no page can make it name another (app.proxy is off, so no X-Forwarded-*
  // header counts). Not ctx.origin: in Koa 3 that is the Origin header itself.
  const self = `${ctx.protocol}://${ctx.get('host')}`;
  if (origin !== '' && origin !== self) {
    throw forbidden('This form was sent from a page that is not this console (its Origin is another site\'s). Nothing was changed. Open the console and use its own forms.');
  }
  const site = ctx.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') {
    throw forbidden(`Your browser reports this form as sent from another site (Sec-Fetch-Site: ${site}). Nothing was changed. Open the console and use its own forms.`);
  }
}

/** The fields of an `application/x-www-form-urlencoded` body of at most FORM_LIMIT_BYTES. */
export async function readForm(ctx: Koa.Context): Promise<URLSearchParams> {
  const type = ctx.get('content-type').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new ConsoleError(415, 'Unsupported form', 'The console accepts only application/x-www-form-urlencoded forms. Nothing was changed.');
  }
  const tooLarge = () => new ConsoleError(413, 'Form too large', `The form is over ${FORM_LIMIT_BYTES} bytes. Nothing was changed.`);
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > FORM_LIMIT_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
