// The management server's migration signing key: an Ed25519 pair whose private half signs the
// MigrationAuthorization the server hands a source host with each migration, and whose public half
// hosts are started with (tvdc-host --manager-key). Kept beside the database as <db>.manager-key
// (PKCS#8 PEM, owner-only), made on first start, never overwritten, refused when others may read
// it; like the server's secret key, it is in no copy of the database.
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Db } from '../../src/store/Store.js';
import { parseManagerPrivateKey } from '../../src/tvdc/MigrationAuthorization.js';
import { ServerKeyError } from './ServerKey.js';
import { isDirectory, writePrivateFileOnce } from './privateFileOnce.js';

export interface ManagerKey {
  privateKey: KeyObject;
  /** SPKI PEM: what a host's --manager-key file holds. */
  publicPem: string;
  /** SHA-256 of the SPKI DER, hex. */
  fingerprint: string;
  /** The key file; null for a key of this process only (a database in memory). */
  file: string | null;
}

/** Where database `db` keeps its migration signing key. */
export function managerKeyFile(db: string): string {
  return `${db}.manager-key`;
}

function describe(privateKey: KeyObject, file: string | null): ManagerKey {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), fingerprint: createHash('sha256').update(der).digest('hex'), file };
}

/** The key of database `db`, made beside it when it does not exist yet. Throws ServerKeyError. */
export function openManagerKey(db: string): ManagerKey {
  if (db === ':memory:' || db === '') return describe(generateKeyPairSync('ed25519').privateKey, null);
  const file = managerKeyFile(db);
  return describe(readKeyFile(file) ?? createKeyFile(file), file);
}

const opened = new WeakMap<Db, ManagerKey>();

/** The key of the server whose database `db` is open: one per database, also one in memory. */
export function managerKeyOf(db: Db): ManagerKey {
  let k = opened.get(db);
  if (!k) {
    k = openManagerKey(db.memory ? ':memory:' : db.name);
    opened.set(db, k);
  }
  return k;
}

function readKeyFile(file: string): KeyObject | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ServerKeyError(`cannot read migration signing key ${file}: ${(e as Error).message}`);
  }
  try {
    // Judged on the open file, not the name, so a file swapped in meanwhile is not the one read.
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ServerKeyError(`migration signing key ${file} is not a regular file`);
    const mode = st.mode & 0o777;
    if (mode & 0o077) throw new ServerKeyError(`migration signing key ${file} has mode ${mode.toString(8).padStart(4, '0')}: group and others must have no access to it (chmod 600 ${file})`);
    const text = readFileSync(fd, 'utf8');
    try {
      return parseManagerPrivateKey(text);
    } catch (e) {
      throw new ServerKeyError(`migration signing key ${file} is not an Ed25519 private key this server made: ${(e as Error).message}`);
    }
  } finally {
    closeSync(fd);
  }
}

/** A new key, written whole or not at all, never over a file that appeared meanwhile (writePrivateFileOnce). */
function createKeyFile(file: string): KeyObject {
  const { privateKey } = generateKeyPairSync('ed25519');
  const dir = dirname(file);
  if (!isDirectory(dir)) throw new ServerKeyError(`directory ${dir} of migration signing key ${file} does not exist; check --db, or create the directory first (mkdir -p ${dir})`);
  let made: boolean;
  try {
    made = writePrivateFileOnce(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  } catch (e) {
    throw new ServerKeyError(`cannot create migration signing key ${file}: ${(e as Error).message}`);
  }
  if (made) return privateKey;
  // Another process made it first: that one is the key.
  const other = readKeyFile(file);
  if (other) return other;
  throw new ServerKeyError(`migration signing key ${file} vanished while it was being made`);
}
