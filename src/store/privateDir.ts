// Directories for state only the service's own user may read: disk images, the store with its
// secrets (indication URLs, jobs), keys.
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Makes `path` (and missing parents) 0700 whatever the umask, and returns whether it already
 * existed with group or other access (its mode then, e.g. 0o755) so the caller can warn. A
 * directory that was already there is left as it is: it may be shared, or not the caller's.
 */
export function makePrivateDir(path: string): { openMode: number | undefined } {
  const full = resolve(path);
  const first = mkdirSync(full, { recursive: true, mode: 0o700 });
  if (first !== undefined) {
    // The umask may have taken bits off; the mode is set again on each directory made here.
    for (let d = full; ; d = dirname(d)) {
      chmodSync(d, 0o700);
      if (d === resolve(first) || d === dirname(d)) break;
    }
    return { openMode: undefined };
  }
  const mode = statSync(full).mode & 0o777;
  return { openMode: mode & 0o077 ? mode : undefined };
}
