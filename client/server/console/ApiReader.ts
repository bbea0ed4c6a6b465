// What the console's pages read: the JSON API's own GET routes, run in this process for the
// signed-in user (ApiRouter.read). So every page sees exactly what that user would get from the
// API, under the same role rules (a tvdcadmin only his TVDcs), with the same live reads of the
// hosts, and no query is written twice.
import type { ApiRouter, Principal } from '../ApiRouter.js';

export class ApiReader {
  constructor(private readonly router: ApiRouter, readonly principal: Principal) {}

  /** The answer of `GET path?query`; throws the ApiError the API would answer with. */
  async get<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    return (await this.router.read(this.principal, path, new URLSearchParams(query))) as T;
  }

  /** The path of a TVDc's API resource, its name percent-encoded as the router decodes it. */
  static group(name: string, rest = ''): string {
    return `/api/groups/${encodeURIComponent(name)}${rest}`;
  }
}
