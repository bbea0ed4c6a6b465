// Directories for state only the service's own user may read: disk images, the store with its
// secrets (indication URLs, jobs), keys.
import { chmodSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { StoreError } from './Store.js';

/** What is at `d`, or undefined when nothing is (a file among its parents counts as nothing: that file is found next). */
function existing(d: string): Stats | undefined {
  try {
    return statSync(d);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new StoreError('STORE_OPEN', `cannot look at ${d}: ${code ?? (e as Error).message}`);
  }
}

/**
 * Makes `path` (and missing parents) 0700 whatever the umask, and returns whether it already
 * existed with group or other access (its mode then, e.g. 0o755) so the caller can warn. A
 * directory that was already there is left as it is: it may be shared, or not the caller's.
 * Made one level at a time, not with mkdir's recursive mode, which loops without end under a
 * directory that refuses new entries with ENOENT (/proc), and says nothing clear for a file
 * standing where a directory must go.
 */
export function makePrivateDir(path: string): { openMode: number | undefined } {
  const full = resolve(path);
  const missing: string[] = [];
  for (let d = full; ; d = dirname(d)) {
    const st = existing(d);
    if (st) {
      if (!st.isDirectory()) throw new StoreError('STORE_OPEN', `cannot make directory ${full}: ${d} exists and is not a directory`);
      break;
    }
    missing.unshift(d);
    if (d === dirname(d)) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw new StoreError('STORE_OPEN', `cannot make directory ${d}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    // The umask may have taken bits off.
    chmodSync(d, 0o700);
  }
  if (missing.length > 0) return { openMode: undefined };
  const mode = statSync(full).mode & 0o777;
  return { openMode: mode & 0o077 ? mode : undefined };
}
