// The management server's secret key: 32 random bytes in a file of its own, apart from the
// database, so that a copy of the database (a backup, a support bundle) holds only sealed host
// passwords. Made owner-only on first start, never overwritten, refused when others may read it.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { SECRET_KEY_BYTES, SecretBox } from './SecretBox.js';
import { isDirectory, writePrivateFileOnce } from './privateFileOnce.js';

export class ServerKeyError extends Error {
  override readonly name = 'ServerKeyError';
}

export interface ServerKey {
  box: SecretBox;
  /** The key file; null for a key of this process only (a database in memory). */
  file: string | null;
}

/** What a part of the server that seals its secrets under the key gets: the key, and where to say what it did with it at start. */
export interface SealingKey extends ServerKey {
  log?: (line: string) => void;
}

/** The key as log lines name it. */
export function keyName(key: Pick<ServerKey, 'file'>): string {
  return key.file === null ? 'this process\'s key' : `key file ${key.file}`;
}

/** Where the key of database `db` is kept unless `--key-file` says otherwise. */
export function defaultKeyFile(db: string): string {
  return `${db}.key`;
}

/**
 * The key for database `db`: read from `keyFile` (default: beside the database), or made there
 * when the file does not exist. `holdsSealed` tells whether the database already has values sealed
 * with some key: then a missing file is an error, not a reason to make a new key, which would
 * split the database between two keys and leave the old values unreadable.
 */
export function openServerKey(db: string, keyFile: string | undefined, holdsSealed: () => boolean): ServerKey {
  if (keyFile === undefined && db === ':memory:') return { box: SecretBox.ephemeral(), file: null };
  const file = keyFile ?? defaultKeyFile(db);
  const key = readKeyFile(file) ?? (() => {
    if (holdsSealed()) {
      throw new ServerKeyError(`key file ${file} does not exist, but database ${db} holds host passwords encrypted with a key: `
        + 'give the key file made with this database (--key-file); if that key is lost, see "Host passwords and the key file" in docs/management.md');
    }
    return createKeyFile(file);
  })();
  return { box: new SecretBox(key), file };
}

/** The key in `file`, or null when there is no such file. */
function readKeyFile(file: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ServerKeyError(`cannot read key file ${file}: ${(e as Error).message}`);
  }
  try {
    // Checked on the open file, not the name, so a file swapped in meanwhile is not the one judged.
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ServerKeyError(`key file ${file} is not a regular file`);
    const mode = st.mode & 0o777;
    if (mode & 0o077) {
      throw new ServerKeyError(`key file ${file} has mode ${mode.toString(8).padStart(4, '0')}: group and others must have no access to it (chmod 600 ${file})`);
    }
    if (st.size !== SECRET_KEY_BYTES) {
      throw new ServerKeyError(`key file ${file} holds ${st.size} bytes, not ${SECRET_KEY_BYTES}: it is not a key this server made`);
    }
    const key = Buffer.alloc(SECRET_KEY_BYTES);
    let got = 0;
    while (got < key.length) {
      const n = readSync(fd, key, got, key.length - got, got);
      if (n === 0) throw new ServerKeyError(`key file ${file} ended after ${got} bytes`);
      got += n;
    }
    return key;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new key to the key file, whole or not at all, never over a file that appeared
 * meanwhile (writePrivateFileOnce).
 */
function createKeyFile(file: string): Buffer {
  const key = randomBytes(SECRET_KEY_BYTES);
  const dir = dirname(file);
  // A missing directory is a mistyped --key-file far more often than a wish: the key would be made
  // where no one looks for it (and kept apart from no backup), so it is refused, as for --db.
  if (!isDirectory(dir)) throw new ServerKeyError(`directory ${dir} of key file ${file} does not exist; check --key-file, or create the directory first (mkdir -p ${dir})`);
  let made: boolean;
  try {
    made = writePrivateFileOnce(file, key);
  } catch (e) {
    throw new ServerKeyError(`cannot create key file ${file}: ${(e as Error).message}`);
  }
  // Another process made the key first: that one is the key.
  if (!made) return readKeyFile(file) ?? raise(`key file ${file} vanished while it was being made`);
  return key;
}

function raise(message: string): never {
  throw new ServerKeyError(message);
}
