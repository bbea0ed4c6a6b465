// The SQLite store every tvdc component keeps its durable state in. One file per component
// (a host agent's state directory, the management server's database), WAL journaling so readers
// never block the writer, and schema migrations applied in one transaction each.
import Database from 'better-sqlite3';
import { closeSync, fchmodSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/** One schema step; `id` is unique per component and never reused. */
export interface Migration {
  id: string;
  up: string | ((db: Db) => void);
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(readonly code: 'STORE_OPEN' | 'STORE_MIGRATION' | 'STORE_BACKUP', message: string) {
    super(message);
  }
}

/** Opens (creating when needed) the database at `file`; ':memory:' for a private in-memory one. */
export function openStore(file: string): Db {
  try {
    if (file !== ':memory:') {
      mkdirSync(dirname(file), { recursive: true });
      createPrivate(file);
    }
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    // FULL makes a committed transaction survive power loss, not only a process crash.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
    return db;
  } catch (e) {
    throw new StoreError('STORE_OPEN', `cannot open store ${file}: ${(e as Error).message}`);
  }
}

/**
 * Creates an empty database file 0600 (whatever the umask) when there is none yet. SQLite gives its
 * -wal and -shm files the database file's mode, so they are private too; an existing file keeps
 * the mode its owner gave it.
 */
function createPrivate(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}

/** Applies the migrations not yet recorded, each in its own transaction, in the given order. */
export function migrate(db: Db, migrations: readonly Migration[]): void {
  const done = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[]).map((r) => r.id));
  const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
  for (const m of migrations) {
    if (done.has(m.id)) continue;
    try {
      db.transaction(() => {
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
        record.run(m.id, new Date().toISOString());
      })();
    } catch (e) {
      throw new StoreError('STORE_MIGRATION', `migration ${m.id} failed: ${(e as Error).message}`);
    }
  }
}
