// The host's labeled virtual disks, kept in the SQLite store. It owns the disk reuse rule: a disk
// used under one label may only take a label sharing a type with that use until it is sanitized
// (wiped for real, with when and by whom recorded).
import { closeSync, fchmodSync, ftruncateSync, lstatSync, openSync, rmSync } from 'node:fs';
import type { Db } from '../../store/Store.js';
import { TvdcError } from '../TvdcError.js';
import type { VirtualDisk } from './VirtualDisk.js';
import { wipeFile } from './wipeFile.js';

export const diskStoreMigrations = [
  {
    id: 'isolation-disks-1',
    up: `CREATE TABLE iso_disks (
      name TEXT PRIMARY KEY,
      path TEXT NOT NULL UNIQUE,
      size_bytes INTEGER NOT NULL,
      label TEXT,
      used_types TEXT NOT NULL DEFAULT '[]',
      sanitized_at TEXT,
      sanitized_by TEXT,
      created_at TEXT NOT NULL
    )`,
  },
  // Policy updates relabel and look up disks by label.
  { id: 'isolation-disks-2', up: 'CREATE INDEX iso_disks_label ON iso_disks (label)' },
];

interface Row {
  name: string;
  path: string;
  size_bytes: number;
  label: string | null;
  used_types: string;
  sanitized_at: string | null;
  sanitized_by: string | null;
  created_at: string;
}

function toDisk(r: Row): VirtualDisk {
  return {
    name: r.name,
    path: r.path,
    sizeBytes: r.size_bytes,
    label: r.label ?? undefined,
    usedTypes: JSON.parse(r.used_types) as string[],
    sanitizedAt: r.sanitized_at ?? undefined,
    sanitizedBy: r.sanitized_by ?? undefined,
    createdAt: r.created_at,
  };
}

export class DiskStore {
  constructor(private readonly db: Db) {}

  /**
   * Registers a disk and creates its backing file of `sizeBytes`, empty and readable by the host's
   * user alone (0600).
   *
   * A file already at `path` is refused, never adopted. The store vouches for a disk's use history
   * only from the moment it created the file: whatever an existing file holds (a deleted disk's
   * data, something put there by hand) was written under types nobody recorded, and adopting it
   * with an empty history would hand that data to the next label without Sanitize. Refusing keeps
   * the rule in this one place, where an "unknown history" mark would have to be honoured by every
   * path that uses a disk (label, attach, start, migration).
   */
  create(d: { name: string; path: string; sizeBytes: number; label?: string }): VirtualDisk {
    if (this.get(d.name)) throw new TvdcError('ALREADY_EXISTS', `disk '${d.name}' already exists`);
    if (!Number.isSafeInteger(d.sizeBytes) || d.sizeBytes < 0) throw new TvdcError('INVALID_ARGUMENT', `bad disk size ${d.sizeBytes}`);
    const holder = this.db.prepare('SELECT name FROM iso_disks WHERE path = ?').get(d.path) as { name: string } | undefined;
    if (holder) throw new TvdcError('ALREADY_EXISTS', `disk '${holder.name}' already uses the file ${d.path}`);
    if (exists(d.path))
      throw new TvdcError('ALREADY_EXISTS', `disk file ${d.path} already exists; a disk is only made on a new file (what an existing file holds has no recorded use), so choose another path or remove the file`);
    // The row and the file together: a failed file creation leaves no row behind.
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO iso_disks (name, path, size_bytes, label, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(d.name, d.path, d.sizeBytes, d.label ?? null, new Date().toISOString());
      let fd: number | undefined;
      try {
        fd = openSync(d.path, 'wx', 0o600);
        // Explicitly, whatever the umask: disk images hold workload data.
        fchmodSync(fd, 0o600);
        ftruncateSync(fd, d.sizeBytes);
      } catch (e) {
        if (fd !== undefined) rmSync(d.path, { force: true });
        throw new TvdcError('IO_FAILED', `cannot create disk file ${d.path}: ${(e as Error).message}`);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    })();
    return this.require(d.name);
  }

  get(name: string): VirtualDisk | undefined {
    const r = this.db.prepare('SELECT * FROM iso_disks WHERE name = ?').get(name) as Row | undefined;
    return r ? toDisk(r) : undefined;
  }

  require(name: string): VirtualDisk {
    const d = this.get(name);
    if (!d) throw new TvdcError('NOT_FOUND', `no disk '${name}'`);
    return d;
  }

  list(): VirtualDisk[] {
    return (this.db.prepare('SELECT * FROM iso_disks ORDER BY name').all() as Row[]).map(toDisk);
  }

  /**
   * Whether a disk used under `usedTypes` may take a label of STE type `newType`: when it was never
   * used since its last wipe, or when the new label keeps one of those types.
   */
  static reuseAllowed(disk: VirtualDisk, newType: string | undefined): boolean {
    return disk.usedTypes.length === 0 || (newType !== undefined && disk.usedTypes.includes(newType));
  }

  setLabel(name: string, label: string | undefined): void {
    this.db.prepare('UPDATE iso_disks SET label = ? WHERE name = ?').run(label ?? null, name);
  }

  /** Records that the disk is in use under a label of STE type `type`. */
  markUsed(name: string, type: string | undefined): void {
    if (type === undefined) return;
    const d = this.require(name);
    if (d.usedTypes.includes(type)) return;
    this.db.prepare('UPDATE iso_disks SET used_types = ? WHERE name = ?').run(JSON.stringify([...d.usedTypes, type]), name);
  }

  /** Wipes the backing file (zeros + fsync), then forgets past use and records when and by whom. */
  sanitize(name: string, by: string): VirtualDisk {
    const d = this.require(name);
    if (!by) throw new TvdcError('INVALID_ARGUMENT', 'sanitize needs the name of who does it');
    wipeFile(d.path);
    this.db.prepare("UPDATE iso_disks SET used_types = '[]', sanitized_at = ?, sanitized_by = ? WHERE name = ?").run(new Date().toISOString(), by, name);
    return this.require(name);
  }

  /**
   * Forgets a disk and removes its backing file; a file used since its last wipe is wiped first.
   * The row goes last, so a crash part way leaves the disk registered, with its use history, and
   * its path still taken: deleting it again finishes the job (a file already gone is not wiped).
   * Wiping before unlinking matters when the file has another link the host cannot see.
   */
  remove(name: string): void {
    const d = this.require(name);
    if (d.usedTypes.length > 0 && exists(d.path)) wipeFile(d.path);
    try {
      rmSync(d.path, { force: true });
    } catch (e) {
      throw new TvdcError('IO_FAILED', `cannot remove disk file ${d.path}: ${(e as Error).message}`);
    }
    this.db.prepare('DELETE FROM iso_disks WHERE name = ?').run(name);
  }
}

/** Whether anything (a dangling symbolic link too) is at `path`. */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
