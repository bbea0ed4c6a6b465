// The --db of `tvdc server` and `tvdc users add`: a database in a directory that does not exist is
// a typo far more often than a wish, and creating both would start a new, empty datacenter.
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ManagementServerError } from '../server/ManagementServer.js';

/** Throws SERVER_DB when the directory `db` would be created in is missing or not a directory. */
export function requireDbDirectory(db: string): void {
  if (db === ':memory:') return;
  const dir = dirname(resolve(db));
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new ManagementServerError('SERVER_DB', `directory ${dir} of database ${db} does not exist; check --db, or create the directory first (mkdir -p ${dir})`);
  }
  if (!isDir) throw new ManagementServerError('SERVER_DB', `${dir} (the directory of database ${db}) is not a directory; check --db`);
}
