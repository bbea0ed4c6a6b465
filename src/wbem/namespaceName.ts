// Namespace names as the server keys them: without leading or trailing slashes, and with the
// interop namespace's short alias `interop` mapped onto `root/interop`.
import { BoundedMap } from '../cim/BoundedMap.js';

export const INTEROP_NAMESPACE = 'root/interop';

/** The canonical spelling of a namespace name from a request or registration. */
export function canonicalNamespace(ns: string): string {
  let c = CANONICAL.get(ns);
  if (c === undefined) {
    c = computeCanonical(ns);
    CANONICAL.set(ns, c);
  }
  return c;
}

// Requests name the same few namespaces over and over; a bounded cache saves the work.
const CANONICAL = new BoundedMap<string, string>(256);

function computeCanonical(ns: string): string {
  let s = ns.trim().replace(/\/{2,}/g, '/');
  while (s.startsWith('/')) s = s.slice(1);
  while (s.endsWith('/')) s = s.slice(0, -1);
  if (s.toLowerCase() === 'interop') return INTEROP_NAMESPACE;
  return s;
}

/** Namespace names compare case-insensitively (DSP0004). */
export function namespaceKey(ns: string): string {
  return canonicalNamespace(ns).toLowerCase();
}
