// Making a secret file the server keeps beside its database (the sealing key, the migration
// signing key) exactly once, whole, and private.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, linkSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes `data` to `file`, mode 0600, unless something is there already: a private temporary file,
 * synced, then linked into place, so the file appears whole or not at all, and link() fails rather
 * than replace a file another process made meanwhile. Returns false when `file` existed (the
 * caller reads that one); throws for anything else.
 */
export function writePrivateFileOnce(file: string, data: string | Buffer): boolean {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      // The umask may only take bits away from 0600; this makes sure the owner can read it back.
      fchmodSync(fd, 0o600);
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // Not made, or already gone.
    }
  }
  syncDir(dir);
  return true;
}

/** Makes the new directory entry durable; some file systems cannot, which costs only that. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch {
    // Best effort.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
