// The JSON API's router: pattern routes (`/api/groups/:group/plans`), HTTP Basic authentication of
// every request against the central users table (failed logins limited per client address), role
// checks, and the one place where failures become `{"error": {"code", "message"}}` answers.
import type Koa from 'koa';
import { ApiError } from './ApiError.js';
import type { NewAuditEntry } from './AuditTrail.js';
import { requireSameSiteJson } from './crossSiteGuard.js';
import type { GroupStore } from './GroupStore.js';
import { hostFailure } from './hostFailure.js';
import type { ListedGroup } from '../../src/store/WhereClause.js';
import { isTvdcError } from '../../src/tvdc/TvdcError.js';
import { LoginThrottle, type LoginThrottleOptions } from '../../src/wbem/LoginThrottle.js';

export type Role = 'dcadmin' | 'tvdcadmin';
export const ROLES: readonly Role[] = ['dcadmin', 'tvdcadmin'];

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (ROLES as readonly string[]).includes(s);
}

/** Who is calling. `groups`: the TVDcs a tvdcadmin is authorized for (empty for a dcadmin, who has all). */
export interface Principal {
  user: string;
  role: Role;
  groups: readonly string[];
}

export interface ApiRequest {
  principal: Principal;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  body: unknown;
}

/** Returns the JSON answer (status 200) or throws ApiError. */
export type ApiHandler = (req: ApiRequest) => unknown | Promise<unknown>;

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Checks HTTP Basic credentials; null when the user is unknown or the password wrong. */
export interface Authenticator {
  authenticate(user: string, password: string): Promise<Principal | null>;
}

/** The Datacenter Administrator alone may do this. */
export function requireDcAdmin(p: Principal): void {
  if (p.role !== 'dcadmin') throw ApiError.forbidden(`${p.user} is a ${p.role}; only a dcadmin may do this`);
}

/** A dcadmin, or a tvdcadmin authorized for `group`. */
export function requireGroup(p: Principal, group: string): void {
  if (p.role === 'dcadmin') return;
  if (!p.groups.includes(group)) throw ApiError.forbidden(`${p.user} is not authorized for TVDc ${group}`);
}

/**
 * The TVDcs a listing of records shows `p` (audit entries, violations, events, plans): `group`
 * when the query names one (he must be authorized for it), else every TVDc's (undefined) for a
 * dcadmin and his own for a tvdcadmin. A tvdcadmin's come with the time each TVDc was (last)
 * created: records are kept by TVDc name, and those of a deleted TVDc whose name was taken again,
 * perhaps for another tenant, are not its new administrators' to read. A dcadmin reads them all.
 */
export function listedGroups(p: Principal, group: string | null, store: Pick<GroupStore, 'createdAt'>): readonly ListedGroup[] | undefined {
  if (group !== null) requireGroup(p, group);
  if (p.role === 'dcadmin') return group !== null ? [{ name: group }] : undefined;
  return (group !== null ? [group] : p.groups).flatMap((name) => {
    const since = store.createdAt(name);
    // Authorizations go with their TVDc, so this is a TVDc deleted since the caller signed in.
    return since === null ? [] : [{ name, since }];
  });
}

/** The methods the API answers (OPTIONS: an empty 204 that grants no cross-origin access). */
const ALLOW = 'GET, POST, PUT, DELETE, OPTIONS';

/** Largest request body read (a policy file travels inside JSON). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * A route that takes bodies larger than MAX_BODY_BYTES, and only from callers of `role`: the body
 * is read after authentication, so no one else can make the server buffer that much.
 */
export interface LargeBody {
  bytes: number;
  role: Role;
}

interface Route {
  method: Method;
  pattern: string;
  segments: string[];
  handler: ApiHandler;
  largeBody?: LargeBody;
}

export class ApiRouter {
  private readonly routes: Route[] = [];
  private audit?: (entry: NewAuditEntry) => void;
  private throttle: LoginThrottle;

  constructor(
    private readonly auth: Authenticator,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.throttle = this.makeThrottle({});
  }

  /**
   * Sets the limits on failed logins per client address (default 10 per 60 s, then
   * TOO_MANY_ATTEMPTS for 60 s), starting the counts afresh. Each address that reaches them is
   * logged once; its further attempts are refused without a password check and without a line each.
   */
  limitLogins(options: Omit<LoginThrottleOptions, 'onBlock'>): void {
    this.throttle = this.makeThrottle(options);
  }

  private makeThrottle(options: Omit<LoginThrottleOptions, 'onBlock'>): LoginThrottle {
    return new LoginThrottle({
      ...options,
      onBlock: (address, failures, seconds) => this.log(`refused logins from ${address} for ${seconds} s after ${failures} failed: TOO_MANY_ATTEMPTS`),
    });
  }

  route(method: Method, pattern: string, handler: ApiHandler, largeBody?: LargeBody): void {
    if (!pattern.startsWith('/api/')) throw new Error(`route ${pattern} must start with /api/`);
    if (this.routes.some((r) => r.method === method && r.pattern === pattern)) throw new Error(`route ${method} ${pattern} registered twice`);
    this.routes.push({ method, pattern, segments: pattern.split('/').slice(1), handler, ...(largeBody ? { largeBody } : {}) });
  }

  /** Every registered route, for docs and tests. */
  list(): { method: Method; pattern: string }[] {
    return this.routes.map((r) => ({ method: r.method, pattern: r.pattern }));
  }

  /** The Koa middleware serving every path. */
  middleware(): Koa.Middleware {
    return async (ctx) => {
      if (ctx.method === 'OPTIONS') {
        // A CORS preflight carries no credentials and gets no Access-Control-Allow-* header, so a
        // browser sends no other site's script's request that needs one (any JSON request).
        ctx.status = 204;
        ctx.set('Allow', ALLOW);
        return;
      }
      try {
        const answer = await this.dispatch(ctx);
        ctx.status = 200;
        ctx.type = 'application/json';
        ctx.body = JSON.stringify(answer ?? { ok: true });
      } catch (e) {
        const err = this.toApiError(e, `${ctx.method} ${ctx.path}`);
        // Refused logins and refused operations are what an administrator looks for after an
        // attempted modification (the paper's "notifications of ... attempted modifications").
        if (err.code === 'UNAUTHORIZED' || err.code === 'FORBIDDEN' || err.code === 'CROSS_SITE' || err.code === 'UNSUPPORTED_MEDIA_TYPE') {
          this.refused(typeof ctx.state['user'] === 'string' ? ctx.state['user'] : null, ctx.ip, ctx.method, ctx.path, err);
        }
        ctx.status = err.status;
        ctx.type = 'application/json';
        if (err.code === 'UNAUTHORIZED') ctx.set('WWW-Authenticate', 'Basic realm="tvdc"');
        if (err.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(err.retryAfterSeconds));
        ctx.body = JSON.stringify({ error: { code: err.code, message: err.message } });
      }
    };
  }

  private async dispatch(ctx: Koa.Context): Promise<unknown> {
    // A change another site's page could have sent is refused before the credentials the browser
    // added are even checked: it neither counts as a failed login nor draws a login prompt.
    // (Every route is under /api/; other paths change nothing and answer as before.)
    if (ctx.path.startsWith('/api/')) requireSameSiteJson(ctx);
    // Authentication comes before anything else, so an anonymous caller learns nothing, not even
    // which routes exist.
    const principal = await this.authenticate(ctx.get('authorization'), ctx.ip);
    ctx.state['user'] = principal.user;
    const method = ctx.method as Method;
    const path = ctx.path;
    const found = this.match(method, path);
    if (!found.route) {
      if (found.pathMatched) throw new ApiError(405, 'BAD_REQUEST', `${method} is not allowed on ${path}`);
      throw ApiError.notFound(`no API route ${method} ${path}`);
    }
    const { route, params } = found;
    const limit = route.largeBody && principal.role === route.largeBody.role ? route.largeBody.bytes : MAX_BODY_BYTES;
    const body = method === 'POST' || method === 'PUT' ? await readJson(ctx, limit) : undefined;
    return route.handler({ principal, params, query: new URLSearchParams(ctx.querystring), body });
  }

  /**
   * The first route for `method path` with its parameters; when none, whether a route has the
   * path under another method (405 rather than 404 for the API).
   */
  private match(method: string, path: string): { route: Route; params: Record<string, string> } | { route: null; pathMatched: boolean } {
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchPath(route.segments, path);
      if (!params) continue;
      if (route.method === method) return { route, params };
      pathMatched = true;
    }
    return { route: null, pathMatched };
  }

  /**
   * Reports a refused login or operation: to the log, and a signed-in user's refusal also to the
   * audit trail (under the TVDc the path names, so that TVDc's administrators see who tried).
   * Anonymous refusals go to the log only: anyone can make them, as fast as he likes.
   */
  refused(user: string | null, address: string, method: string, path: string, err: ApiError, group?: string): void {
    this.log(`refused ${method} ${path} from ${user !== null ? `${user} at ${address}` : address}: ${err.code}: ${err.message}`);
    if (user === null || err.code !== 'FORBIDDEN' || !this.audit) return;
    const found = this.match(method, path);
    const grp = group ?? (found.route ? found.params['group'] : undefined) ?? null;
    this.audit({ user, group: grp, action: `${method} ${found.route?.pattern ?? path}`, outcome: 'refused', message: `${method} ${path} refused: ${err.message}` });
  }

  /** Where refusals of signed-in users are recorded (the server's audit trail). */
  auditRefusals(record: (entry: NewAuditEntry) => void): void {
    this.audit = record;
  }

  /**
   * Checks an Authorization header (HTTP Basic) from the client at `address`: ApiError 401
   * (UNAUTHORIZED) when it names no user or the wrong password, 429 (TOO_MANY_ATTEMPTS) without
   * checking it when that address failed too often lately.
   */
  async authenticate(header: string, address: string): Promise<Principal> {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!m) throw ApiError.unauthorized('HTTP Basic credentials required');
    const text = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) throw ApiError.unauthorized('malformed Basic credentials');
    const user = text.slice(0, colon);
    const password = text.slice(colon + 1);
    const r = await this.throttle.attempt(address, user, () => this.auth.authenticate(user, password));
    if (r.outcome === 'throttled') throw ApiError.tooManyAttempts(r.retryAfterSeconds);
    const principal = r.outcome === 'accepted' ? r.value : null;
    if (!principal) throw ApiError.unauthorized(`wrong user name or password (user ${JSON.stringify(user.slice(0, 64))})`);
    return principal;
  }

  /**
   * Runs the GET route at `path` in this process for a caller already authenticated, and returns
   * its answer or throws the ApiError the API would answer with. The web console renders these
   * answers, so it shows what the API shows under the same role checks, without a second query.
   */
  read(principal: Principal, path: string, query: URLSearchParams = new URLSearchParams()): Promise<unknown> {
    return this.call(principal, 'GET', path, query, undefined);
  }

  /**
   * Runs the route `method path` in this process for a caller already authenticated, with `body`
   * as its parsed JSON body. The web console's forms act through this, so a change made there is
   * checked (roles, validation, drift, the host's refusal) by the very handler the API runs.
   */
  async call(principal: Principal, method: Method, path: string, query: URLSearchParams, body: unknown): Promise<unknown> {
    try {
      const found = this.match(method, path);
      if (!found.route) throw ApiError.notFound(`no API route ${method} ${path}`);
      return await found.route.handler({ principal, params: found.params, query, body });
    } catch (e) {
      throw this.toApiError(e, `${method} ${path}`);
    }
  }

  /** The one mapping from any failure to what the caller sees. */
  private toApiError(e: unknown, what: string): ApiError {
    const mapped = hostFailure(null, e);
    if (mapped) return mapped;
    // Domain errors come from what the caller sent (a policy edit that breaks a rule, ...).
    if (isTvdcError(e)) {
      if (e.code === 'NOT_FOUND' || e.code === 'LABEL_UNKNOWN') return ApiError.notFound(e.message);
      if (e.code === 'ALREADY_EXISTS' || e.code === 'INVALID_STATE') return ApiError.conflict(e.message);
      return ApiError.badRequest(e.message);
    }
    this.log(`${what}: internal error: ${(e as Error)?.stack ?? String(e)}`);
    return new ApiError(500, 'INTERNAL', 'internal server error (see the server log)');
  }
}

function matchPath(segments: readonly string[], path: string): Record<string, string> | null {
  const parts = path.split('/').slice(1);
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const p = parts[i]!;
    if (s.startsWith(':')) {
      if (!p) return null;
      try {
        params[s.slice(1)] = decodeURIComponent(p);
      } catch {
        return null;
      }
    } else if (s !== p) return null;
  }
  return params;
}

async function readJson(ctx: Koa.Context, limit: number): Promise<unknown> {
  // A declared length over the limit is refused before a byte of it is read.
  if (Number(ctx.get('content-length')) > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw ApiError.badRequest(`request body is not valid JSON: ${(e as Error).message}`);
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'BAD_REQUEST', `request body over ${limit} bytes`);
}
