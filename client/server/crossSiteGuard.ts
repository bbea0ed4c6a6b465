// What a state-changing API request must be before it is even authenticated: a browser sends its
// cached HTTP Basic credentials with any site's form post or simple fetch, so the API accepts a
// change only in a shape no other site's page can make a browser send.
import type Koa from 'koa';
import { ApiError } from './ApiError.js';

/** The methods that only read; every other method may change something. */
function isReadOnlyMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/**
 * Refuses a state-changing request (any method but GET, HEAD and OPTIONS) that
 * - has no `Content-Type: application/json` (415 UNSUPPORTED_MEDIA_TYPE), also when it has no
 *   body: a form (urlencoded, multipart, text/plain) cannot send that type, and a script on
 *   another site can only after a CORS preflight, which this server never grants;
 * - carries an `Origin` other than this server's own, or `Sec-Fetch-Site: cross-site` or
 *   `same-site` (another port or subdomain of this host is another origin too): 403 CROSS_SITE.
 * Either alone stops a browser that follows the standards; both are checked so that one browser
 * bug is not enough.
 */
export function requireSameSiteJson(ctx: Koa.Context): void {
  if (isReadOnlyMethod(ctx.method) || ctx.method === 'OPTIONS') return;
  const origin = ctx.get('origin');
  // This server's origin is the request's own scheme and Host header, which a browser sets to the
  // server it sends to (app.proxy is off, so no X-Forwarded-* header counts). A page sent with
  // `Origin: null` (a sandboxed frame, a data: URL) is another site too.
  const self = `${ctx.protocol}://${ctx.get('host')}`;
  if (origin !== '' && origin !== self) {
    throw ApiError.crossSite(`${ctx.method} refused: the request comes from a page of another site (Origin ${JSON.stringify(origin.slice(0, 200))}, this server is ${self}); nothing was changed`);
  }
  const site = ctx.get('sec-fetch-site').trim().toLowerCase();
  if (site === 'cross-site' || site === 'same-site') {
    throw ApiError.crossSite(`${ctx.method} refused: the browser reports the request as sent from another site (Sec-Fetch-Site: ${site}); nothing was changed`);
  }
  if (!isJsonType(ctx.get('content-type'))) {
    const sent = ctx.get('content-type');
    throw ApiError.unsupportedMediaType(`${ctx.method} needs "Content-Type: application/json" (also without a body), not ${sent ? JSON.stringify(sent.slice(0, 200)) : 'none'}; nothing was changed`);
  }
}

/** `application/json`, with at most a UTF-8 charset (the only encoding the API reads). */
function isJsonType(header: string): boolean {
  const [type, ...params] = header.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => p === '' || /^charset\s*=\s*"?utf-8"?$/.test(p));
}
