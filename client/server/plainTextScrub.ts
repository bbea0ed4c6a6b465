// Replacing secrets a database once held in plain text (host passwords, the console's key) by
// their sealed form must not leave the plain bytes elsewhere in the file: in the pages the old
// values leave behind, in pages freed before, or in older copies of pages in the write-ahead log.
import type { Db } from '../../src/store/Store.js';

/** Runs `change` with SQLite's secure_delete on, which zeroes the space deleted or overwritten values leave in their pages. */
export function withSecureDelete<T>(db: Db, change: () => T): T {
  const before = db.pragma('secure_delete', { simple: true }) as number;
  db.pragma('secure_delete = ON');
  try {
    return change();
  } finally {
    db.pragma(`secure_delete = ${before ? 'ON' : 'OFF'}`);
  }
}

/**
 * VACUUM rewrites every page (pages freed earlier too); the checkpoint moves the log into the
 * file and empties it. Null when done, else why it could not be (then a VACUUM while the server
 * is stopped finishes the job).
 */
export function scrubFreedPages(db: Db): string | null {
  try {
    db.exec('VACUUM');
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    return r && r.busy ? 'another connection kept the write-ahead log busy' : null;
  } catch (e) {
    return (e as Error).message;
  }
}
