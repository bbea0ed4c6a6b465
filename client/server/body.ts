// Reading fields out of a JSON request body with a clear 400 for anything missing or mistyped.
import { ApiError } from './ApiError.js';

export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ApiError.badRequest('request body must be a JSON object');
  return body as Record<string, unknown>;
}

export function stringField(body: unknown, field: string): string {
  const v = bodyObject(body)[field];
  if (typeof v !== 'string' || v === '') throw ApiError.badRequest(`"${field}" must be a non-empty string`);
  return v;
}

export function optionalString(body: unknown, field: string): string | undefined {
  const v = bodyObject(body)[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw ApiError.badRequest(`"${field}" must be a string`);
  return v;
}

export function stringList(body: unknown, field: string): string[] {
  const v = bodyObject(body)[field];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x !== '')) {
    throw ApiError.badRequest(`"${field}" must be a non-empty list of strings`);
  }
  return v as string[];
}
