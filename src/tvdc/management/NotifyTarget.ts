// A notification target: a URL prefix the Datacenter Administrator allows notify plans to point
// under. Plans are written by TVDc administrators, but their POSTs leave from the management
// server, which reaches places they must not (the hosts' CIM ports, internal services, cloud
// metadata addresses); the prefixes bound where a plan can send the server.
//
// Matching is on the parsed URL, never on the text: scheme, host and port equal, and the path
// under the prefix's path on a segment boundary, so `https://ops.example` does not admit
// `https://ops.example.evil.test` nor `https://ops.example/hooks` admit `/hooks-admin`.
import { TvdcError } from '../TvdcError.js';

/** An allowed prefix in canonical form, and who added it. */
export interface NotifyTarget {
  /** `scheme://host[:port]/path`, lower-case host, default port dropped, no trailing slash past the root. */
  prefix: string;
  addedBy: string;
  addedAt: string;
}

const MAX_URL = 2048;
const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

function invalid(message: string): never {
  throw new TvdcError('INVALID_ARGUMENT', message);
}

/** The parts a prefix is compared by. */
interface Parts {
  scheme: string;
  host: string;
  port: string;
  /** Path without its trailing slashes: '' for the root. */
  path: string;
}

/**
 * `text` as an absolute http or https URL without credentials (they would be stored and listed):
 * the check a plan's notify URL and a target prefix share; `what` names it in the errors.
 */
export function parseHttpUrl(text: string, what: 'url' | 'prefix'): URL {
  if (text.length > MAX_URL) invalid(`${what} is longer than ${MAX_URL} characters`);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    invalid(`${what} "${text}" is not an absolute URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') invalid(`${what} "${text}" must be http or https`);
  if (u.username || u.password) invalid(`${what} must not carry a user name or password`);
  return u;
}

function parts(u: URL): Parts {
  return { scheme: u.protocol, host: u.hostname, port: u.port || DEFAULT_PORT[u.protocol]!, path: u.pathname.replace(/\/+$/, '') };
}

/**
 * Checks a prefix as a dcadmin submits it and returns its canonical form. It is a place, not a
 * request: scheme, host, optional port and path; no credentials, query or fragment.
 */
export function canonicalPrefix(text: string): string {
  if (text.length === 0) invalid('a notification target prefix is required, e.g. https://ops.example/hooks');
  const u = parseHttpUrl(text, 'prefix');
  if (u.search || u.hash || text.includes('?') || text.includes('#')) invalid(`prefix "${text}" must not have a query or fragment: it is scheme, host, port and path`);
  if (u.hostname === '') invalid(`prefix "${text}" has no host`);
  if (hasEncodedSeparator(u.pathname)) invalid(`prefix "${text}" must not hold encoded slashes, backslashes or dots`);
  const p = parts(u);
  return `${p.scheme}//${u.host}${p.path === '' ? '/' : p.path}`;
}

/**
 * A receiver that decodes %2F, %5C or %2E in a path could act on another path than the one
 * matched here (`/hooks/..%2Fadmin`); such URLs are under no prefix.
 */
function hasEncodedSeparator(path: string): boolean {
  return /%2f|%5c|%2e/i.test(path);
}

/** Whether `url` (an absolute URL, as plans store it) lies under the canonical `prefix`. */
export function prefixAllows(prefix: string, url: string): boolean {
  let u: URL;
  let p: URL;
  try {
    u = new URL(url);
    p = new URL(prefix);
  } catch {
    return false;
  }
  if (u.username || u.password || hasEncodedSeparator(u.pathname)) return false;
  const a = parts(p);
  const b = parts(u);
  if (a.scheme !== b.scheme || a.host !== b.host || a.port !== b.port) return false;
  // On a segment boundary: the prefix's path itself, or anything below it.
  return u.pathname === a.path || u.pathname.startsWith(`${a.path}/`);
}

/** The first target that allows `url`, if any. */
export function allowingTarget(targets: readonly NotifyTarget[], url: string): NotifyTarget | undefined {
  return targets.find((t) => prefixAllows(t.prefix, url));
}
