// The one reading of an integer query parameter (`?limit=50`): digits only, within 1..max, with a
// 400 that names the parameter, its range and what was sent.
import { ApiError } from './ApiError.js';

/** The parameter's value, or `fallback` when it is absent. */
export function queryInteger(q: URLSearchParams, name: string, max: number, fallback: number): number {
  const v = q.get(name);
  if (v === null) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw ApiError.badRequest(`${name} must be an integer from 1 to ${max}, not "${v}"`);
  return Number(v);
}
