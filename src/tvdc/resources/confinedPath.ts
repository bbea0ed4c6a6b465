// Keeps disk backing files inside the host's disk directory.
import { lstatSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { TvdcError } from '../TvdcError.js';

/**
 * Resolves `path` inside `dir` and refuses anything that would land elsewhere: `..`, absolute paths
 * outside, symlinked parents or a symlink as the file itself. A disk path comes from management
 * clients, and sanitize overwrites whatever it names.
 */
export function confinedPath(dir: string, path: string): string {
  let root: string;
  try {
    root = realpathSync(dir);
  } catch {
    throw new TvdcError('IO_FAILED', `disk directory ${dir} does not exist`);
  }
  const full = resolve(root, path);
  const parent = (() => {
    try {
      return realpathSync(dirname(full));
    } catch {
      throw new TvdcError('INVALID_ARGUMENT', `disk path '${path}': directory does not exist`);
    }
  })();
  const rel = relative(root, parent);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new TvdcError('INVALID_ARGUMENT', `disk path '${path}' is outside the disk directory ${root}`);
  try {
    if (lstatSync(full).isSymbolicLink()) throw new TvdcError('INVALID_ARGUMENT', `disk path '${path}' is a symbolic link`);
  } catch (e) {
    if (e instanceof TvdcError) throw e;
    // Does not exist yet: it will be created.
  }
  return resolve(parent, full.slice(dirname(full).length + 1));
}
