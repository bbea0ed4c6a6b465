// Digests of every regular file under a directory tree, as a dcadmin scans a clean image from a
// trusted environment: the one walk behind the reference database's directory import and the
// runtime policies made from images.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { IntegrityError } from './IntegrityError.js';

export interface ScannedFile {
  /** `prefix` plus the file's path below the scanned directory, with forward slashes. */
  path: string;
  digest: string;
}

/** Every regular file below `dir` (symbolic links are not followed), in name order. */
export function scanDirectory(dir: string, opts: { prefix?: string; alg?: 'sha1' | 'sha256' } = {}): ScannedFile[] {
  const alg = opts.alg ?? 'sha256';
  const prefix = opts.prefix ?? '/';
  const found: ScannedFile[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch (e) {
      throw new IntegrityError('POLICY_FORMAT', `cannot scan ${d}: ${(e as Error).message}`, 'IO_FAILED');
    }
    for (const name of names.sort()) {
      const full = join(d, name);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) {
        const rel = relative(dir, full).split(sep).join('/');
        found.push({ path: posix.join(prefix, rel), digest: createHash(alg).update(readFileSync(full)).digest('hex') });
      }
    }
  };
  walk(dir);
  return found;
}
