// The read-only web console under /console/: plain HTML rendered on the server, no scripts. It
// signs users in exactly as the JSON API does (HTTP Basic against the users table, through the
// API router's own authenticate, so the browser's login prompt appears on a 401) and renders the
// API's own answers (ApiReader), so a tvdcadmin sees his TVDcs only, as over the API. Only GET and
// HEAD are served: nothing here changes state, so there is nothing to forge a request for.
import type Koa from 'koa';
import { ApiError, isApiError } from '../ApiError.js';
import type { ApiRouter } from '../ApiRouter.js';
import { ApiReader } from './ApiReader.js';
import { eventsPage } from './eventsPage.js';
import { html } from './html.js';
import { CONSOLE_HEADERS, page } from './layout.js';
import { overviewPage } from './overviewPage.js';
import { tvdcPage } from './tvdcPage.js';
import { violationsPage } from './violationsPage.js';

export const CONSOLE_PATH = '/console/';

/** A console page's failure: the status and what the page says. */
class ConsoleError extends Error {
  constructor(readonly status: number, readonly title: string, message: string, readonly refusal?: ApiError) {
    super(message);
  }
}

const notFound = (what: string, refusal?: ApiError) => new ConsoleError(404, 'Not found', what, refusal);

function send(ctx: Koa.Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = body;
}

function errorPage(ctx: Koa.Context, e: ConsoleError, base: string): void {
  send(ctx, e.status, page({ title: e.title, base }, html`<p>${e.message}</p>\n<p><a href="${base}">Back to the overview</a></p>\n`));
}

/** The page at `rest` (the path after /console/), or a ConsoleError. */
async function render(api: ApiReader, rest: string): Promise<string> {
  if (rest === '') return overviewPage(api);
  if (rest === 'events') return eventsPage(api);
  if (rest === 'violations') return violationsPage(api);
  const m = /^tvdc\/([^/]+)$/.exec(rest);
  if (m) {
    let name: string;
    try {
      name = decodeURIComponent(m[1]!);
    } catch {
      throw notFound('There is no such page.');
    }
    try {
      return await tvdcPage(api, name);
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
export function consoleMiddleware(router: ApiRouter, log: (line: string) => void): Koa.Middleware {
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
    // Refused sign-ins and TVDcs are logged as the API logs its refusals.
    const refused = (who: string, why: ApiError) => log(`refused ${ctx.method} ${ctx.path} from ${who}: ${why.code}: ${why.message}`);
    const internal = (e: unknown) => {
      log(`${ctx.method} ${ctx.path}: internal error: ${(e as Error)?.stack ?? String(e)}`);
      errorPage(ctx, new ConsoleError(500, 'Internal error', 'Internal server error (see the server log).'), base);
    };

    let api: ApiReader;
    try {
      api = new ApiReader(router, await router.authenticate(ctx.get('authorization')));
    } catch (e) {
      if (!isApiError(e) || e.code !== 'UNAUTHORIZED') return internal(e);
      refused(ctx.ip, e);
      ctx.set('WWW-Authenticate', 'Basic realm="tvdc"');
      errorPage(ctx, new ConsoleError(401, 'Sign-in required', 'Sign in with your tvdc management server user name and password.'), base);
      return;
    }
    ctx.state['user'] = api.principal.user;
    if (!readOnly) {
      ctx.set('Allow', 'GET, HEAD');
      errorPage(ctx, new ConsoleError(405, 'Method not allowed', `The console is read-only; ${ctx.method} is not served here.`), base);
      return;
    }
    try {
      send(ctx, 200, await render(api, rest));
    } catch (e) {
      if (e instanceof ConsoleError) {
        // The page does not tell a refusal from a missing TVDc; the server log does.
        if (e.refusal) refused(`${api.principal.user} at ${ctx.ip}`, e.refusal);
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
