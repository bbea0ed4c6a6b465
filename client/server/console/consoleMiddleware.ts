// The web console under /console/: plain HTML rendered on the server, no scripts. It signs users
// in exactly as the JSON API does (HTTP Basic against the users table, through the API router's
// own authenticate, so the browser's login prompt appears on a 401) and renders the API's own
// answers (ApiReader), so a tvdcadmin sees his TVDcs only, as over the API. GET and HEAD only
// read. The one thing posted to is a TVDc's actions path (consoleActions.ts), and since a browser
// sends Basic credentials with a post from any site, a post must pass the CSRF defences first:
// same origin (formPost.ts), a small urlencoded form, and the user's own token (ConsoleTokens).
import type Koa from 'koa';
import { ApiError, isApiError } from '../ApiError.js';
import type { ApiRouter } from '../ApiRouter.js';
import { ApiReader } from './ApiReader.js';
import { auditPage } from './auditPage.js';
import { performAction } from './consoleActions.js';
import { ConsoleError, notFound } from './ConsoleError.js';
import type { ConsoleTokens } from './ConsoleTokens.js';
import { eventsPage } from './eventsPage.js';
import { html } from './html.js';
import { CONSOLE_HEADERS, page } from './layout.js';
import { overviewPage } from './overviewPage.js';
import { readForm, requireSameOrigin } from './formPost.js';
import { tvdcPage } from './tvdcPage.js';
import { violationsPage } from './violationsPage.js';

const CONSOLE_PATH = '/console/';

/** The paths that take a form post: `tvdc/NAME/actions`. */
const ACTIONS = /^tvdc\/([^/]+)\/actions$/;

/** The TVDc name in a path segment; a segment that does not decode names no page. */
function groupName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw notFound('There is no such page.');
  }
}

function send(ctx: Koa.Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = body;
}

function errorPage(ctx: Koa.Context, e: ConsoleError, base: string): void {
  send(ctx, e.status, page({ title: e.title, base }, html`<p>${e.message}</p>\n<p><a href="${base}">Back to the overview</a></p>\n`));
}

interface Rendered {
  status: number;
  body: string;
  /** An API refusal the page shows (a filter's), for the server log as the API logs it. */
  refusal?: ApiError;
}

/** The page at `rest` (the path after /console/) for `query`, or a ConsoleError. */
async function render(api: ApiReader, tokens: ConsoleTokens, rest: string, query: URLSearchParams): Promise<Rendered> {
  const ok = (body: string): Rendered => ({ status: 200, body });
  if (rest === '') return ok(await overviewPage(api));
  if (rest === 'events') return ok(await eventsPage(api));
  if (rest === 'violations') return ok(await violationsPage(api));
  if (rest === 'audit') return auditPage(api, query);
  const m = /^tvdc\/([^/]+)$/.exec(rest);
  if (m) {
    const name = groupName(m[1]!);
    try {
      return ok(await tvdcPage(api, name, tokens.issue(api.principal.user)));
    } catch (e) {
      // A TVDc this user may not see answers exactly as one that does not exist, so a tvdcadmin
      // cannot learn which TVDcs there are (the API's 403 is answered before the lookup for the
      // same reason).
      if (isApiError(e) && (e.code === 'FORBIDDEN' || e.code === 'NOT_FOUND')) throw notFound(`No TVDc named ${name}.`, e.code === 'FORBIDDEN' ? e : undefined);
      throw e;
    }
  }
  throw notFound('There is no such page.');
}

/** Serves everything under /console/ and redirects `/` and `/console` there; any other path is the API's. */
export function consoleMiddleware(router: ApiRouter, tokens: ConsoleTokens, log: (line: string) => void): Koa.Middleware {
  return async (ctx, next) => {
    const readOnly = ctx.method === 'GET' || ctx.method === 'HEAD';
    if (!ctx.path.startsWith(CONSOLE_PATH)) {
      await next();
      // `/` and `/console` lead to the console, for a signed-in user only: the API answers them
      // first, so an anonymous caller gets its 401 (and the browser its login prompt) as on any
      // path, and one that signed in gets the API's 404 for a path it has no route for, which
      // becomes the redirect here.
      if ((ctx.path === '/' || ctx.path === '/console') && readOnly && ctx.status === 404 && typeof ctx.state['user'] === 'string') {
        ctx.set(CONSOLE_HEADERS);
        ctx.redirect(CONSOLE_PATH);
      }
      return;
    }
    ctx.set(CONSOLE_HEADERS);
    const rest = ctx.path.slice(CONSOLE_PATH.length);
    // Links are relative, so the error pages of nested paths find their way back as well.
    const base = '../'.repeat(rest.split('/').length - 1) || './';
    // Refused sign-ins and TVDcs are reported as the API reports its refusals (the log, and a
    // signed-in user's in the audit trail, under the TVDc a form acted on).
    const refused = (user: string | null, why: ApiError, group?: string) => router.refused(user, ctx.ip, ctx.method, ctx.path, why, group);
    const internal = (e: unknown) => {
      log(`${ctx.method} ${ctx.path}: internal error: ${(e as Error)?.stack ?? String(e)}`);
      errorPage(ctx, new ConsoleError(500, 'Internal error', 'Internal server error (see the server log).'), base);
    };

    let api: ApiReader;
    try {
      api = new ApiReader(router, await router.authenticate(ctx.get('authorization'), ctx.ip));
    } catch (e) {
      if (isApiError(e) && e.code === 'TOO_MANY_ATTEMPTS') {
        // Not logged per attempt: the router logged the address once when it reached the limit.
        ctx.set('Retry-After', String(e.retryAfterSeconds));
        errorPage(ctx, new ConsoleError(429, 'Too many failed sign-ins', `Too many failed sign-ins from this address. Try again in ${e.retryAfterSeconds} seconds.`), base);
        return;
      }
      if (!isApiError(e) || e.code !== 'UNAUTHORIZED') return internal(e);
      refused(null, e);
      ctx.set('WWW-Authenticate', 'Basic realm="tvdc"');
      errorPage(ctx, new ConsoleError(401, 'Sign-in required', 'Sign in with your tvdc management server user name and password.'), base);
      return;
    }
    ctx.state['user'] = api.principal.user;
    const action = ACTIONS.exec(rest);
    // The TVDc a form acts on, for the audit trail's record of a refusal (a malformed name: none).
    let formGroup: string | undefined;
    try {
      formGroup = action ? decodeURIComponent(action[1]!) : undefined;
    } catch {
      formGroup = undefined;
    }
    if (action ? ctx.method !== 'POST' : !readOnly) {
      ctx.set('Allow', action ? 'POST' : 'GET, HEAD');
      errorPage(ctx, new ConsoleError(405, 'Method not allowed', action ? 'Actions are posted by the forms of the TVDc\'s page.' : `${ctx.method} is not served here; the console's forms post to a TVDc's actions.`), base);
      return;
    }
    try {
      if (action) {
        requireSameOrigin(ctx);
        const form = await readForm(ctx);
        const r = await performAction(api, tokens, groupName(action[1]!), form, base);
        if (r.refusal) refused(api.principal.user, r.refusal, formGroup);
        send(ctx, r.status, r.body);
      } else {
        const r = await render(api, tokens, rest, new URLSearchParams(ctx.querystring));
        // Filed as the API files a refused read of /api/audit: under no TVDc.
        if (r.refusal) refused(api.principal.user, r.refusal);
        send(ctx, r.status, r.body);
      }
    } catch (e) {
      if (e instanceof ConsoleError) {
        // A refused post (CSRF defences) is logged as a refused API call is.
        if (e.status === 403) refused(api.principal.user, ApiError.forbidden(e.message), formGroup);
        // The page does not tell a refusal from a missing TVDc; the server log does.
        if (e.refusal) refused(api.principal.user, e.refusal, formGroup);
        errorPage(ctx, e, base);
      } else if (isApiError(e) && e.code !== 'INTERNAL') {
        // A refusal or a host failure the API would have answered with: the page says the same.
        errorPage(ctx, new ConsoleError(e.status, e.code, e.message), base);
      } else if (isApiError(e)) {
        // INTERNAL comes from ApiRouter.read, which has logged the fault already.
        errorPage(ctx, new ConsoleError(500, 'Internal error', 'Internal server error (see the server log).'), base);
      } else {
        internal(e);
      }
    }
  };
}
