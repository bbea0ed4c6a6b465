// The one reading of a yes/no query parameter (`?force=true`): exactly `true` or `false`, with a
// 400 that names the parameter and what was sent, so a misspelt value never means "no".
import { ApiError } from './ApiError.js';

/** The parameter's value; false when it is absent. */
export function queryBoolean(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === 'false') return false;
  if (v === 'true') return true;
  throw ApiError.badRequest(`${name} must be true or false, not "${v}"`);
}
