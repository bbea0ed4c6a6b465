// A consistent copy of a store taken while its owner keeps writing (SQLite's online backup reads
// it page by page and starts over when a write lands in between), written to a new file only its
// owner may read, and checked before it is called a backup. Copying the file with cp while a
// server runs can miss what sits in the write-ahead log, or catch a transaction half written.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, linkSync, openSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StoreError } from './Store.js';

export interface BackupResult {
  /** Pages copied. */
  pages: number;
  /** Schema steps the copy carries (schema_migrations), so a restore can be matched to a release. */
  migrations: string[];
}

/**
 * Copies the store at `file` to `to`, a file that must not exist yet (a backup never overwrites
 * one). `isStore` looks at the source first and returns why it is not what the caller means to
 * back up, or null. Nothing is kept under `to` unless the copy passed its integrity check.
 */
export async function backupStore(file: string, to: string, isStore: (db: Database.Database) => string | null = () => null): Promise<BackupResult> {
  if (!existsSync(file)) throw new StoreError('STORE_BACKUP', `no database ${file}`);
  let source: Database.Database;
  try {
    source = new Database(file, { fileMustExist: true });
    source.pragma('busy_timeout = 5000');
  } catch (e) {
    throw new StoreError('STORE_BACKUP', `cannot open ${file}: ${(e as Error).message}`);
  }
  try {
    let why: string | null;
    try {
      why = isStore(source);
    } catch (e) {
      // SQLite opens any file lazily; the first read is where one that is not a database shows.
      throw new StoreError('STORE_BACKUP', `cannot read ${file}: ${(e as Error).message}`);
    }
    if (why !== null) throw new StoreError('STORE_BACKUP', `${file} ${why}`);
    // A quick answer; the link below is what really never overwrites.
    if (existsSync(to)) throw new StoreError('STORE_BACKUP', `${to} exists; a backup never overwrites a file`);
    // The copy is made and checked under a temporary name beside `to`, and only then linked to
    // `to`: a backup killed half way leaves no file under the name a restore would take.
    const partial = join(dirname(to), `.${basename(to)}.partial-${randomBytes(6).toString('hex')}`);
    try {
      // Made here, owner-only and exclusively, so the copy is never readable by others and never
      // lands on a file that appeared meanwhile.
      closeSync(openSync(partial, 'wx', 0o600));
    } catch (e) {
      throw new StoreError('STORE_BACKUP', `cannot create ${partial} (the copy, before it becomes ${to}): ${(e as Error).message}`);
    }
    try {
      let pages: number;
      try {
        // All pages in one step: copied step by step, a backup starts over whenever the server
        // writes in between, and a busy server could keep it from ever ending. One step reads one
        // snapshot; WAL lets the server go on writing meanwhile.
        pages = (await source.backup(partial, { progress: () => 0x7fffffff })).totalPages;
      } catch (e) {
        throw new StoreError('STORE_BACKUP', `backup of ${file} to ${to} failed: ${(e as Error).message}`);
      }
      const copy = new Database(partial, { readonly: true, fileMustExist: true });
      let result: BackupResult;
      try {
        const check = copy.pragma('integrity_check', { simple: true });
        if (check !== 'ok') throw new StoreError('STORE_BACKUP', `the copy of ${file} failed its integrity check (${String(check)}); nothing was kept`);
        const recorded = copy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
        const migrations = recorded ? (copy.prepare('SELECT id FROM schema_migrations ORDER BY applied_at, id').all() as { id: string }[]).map((r) => r.id) : [];
        result = { pages, migrations };
      } finally {
        copy.close();
      }
      try {
        // link, not rename: it fails on a file that appeared under `to` meanwhile instead of replacing it.
        linkSync(partial, to);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new StoreError('STORE_BACKUP', code === 'EEXIST' ? `${to} exists; a backup never overwrites a file` : `cannot create ${to}: ${(e as Error).message}`);
      }
      return result;
    } finally {
      rmSync(partial, { force: true });
    }
  } finally {
    source.close();
  }
}
