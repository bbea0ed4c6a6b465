// Overwrites a file's whole length with zeros and forces it to stable storage, so data written
// under one label cannot be read back under another.
import { closeSync, fstatSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { TvdcError } from '../TvdcError.js';

const CHUNK = 1 << 20;

/** Returns the number of bytes overwritten. */
export function wipeFile(path: string): number {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r+');
    const st = fstatSync(fd);
    // The simulator's disks are regular files; anything else is not ours to overwrite.
    if (!st.isFile()) throw new Error('not a regular file');
    const size = st.size;
    const zeros = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
    let done = 0;
    while (done < size) {
      const n = writeSync(fd, zeros, 0, Math.min(zeros.length, size - done), done);
      done += n;
    }
    fsyncSync(fd);
    return size;
  } catch (e) {
    throw new TvdcError('IO_FAILED', `cannot wipe ${path}: ${(e as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
