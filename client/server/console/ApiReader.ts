// What the console's pages read and its forms do: the JSON API's own routes, run in this process
// for the signed-in user (ApiRouter.read, ApiRouter.call). So every page sees exactly what that
// user would get from the API, under the same role rules (a tvdcadmin only his TVDcs), with the
// same live reads of the hosts, every form is checked as the API checks that call, and no query
// or rule is written twice.
import type { ApiRouter, Method, Principal } from '../ApiRouter.js';

export class ApiReader {
  constructor(private readonly router: ApiRouter, readonly principal: Principal) {}

  /** The answer of `GET path?query`; throws the ApiError the API would answer with. */
  async get<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    return (await this.router.read(this.principal, path, new URLSearchParams(query))) as T;
  }

  /** The answer of `method path` with `body` (a JSON value); throws the ApiError the API would answer with. */
  async call(method: Method, path: string, body: unknown): Promise<unknown> {
    return this.router.call(this.principal, method, path, new URLSearchParams(), body);
  }

  /** The path of a TVDc's API resource, its name percent-encoded as the router decodes it. */
  static group(name: string, rest = ''): string {
    return `/api/groups/${encodeURIComponent(name)}${rest}`;
  }
}
