// The host's network segments in the SQLite store.
import type { Db } from '../../store/Store.js';
import { TvdcError } from '../TvdcError.js';
import { checkSegmentId, type NetworkSegment, type SegmentKind } from './NetworkSegment.js';

export const segmentStoreMigrations = [
  {
    id: 'isolation-segments-1',
    up: `CREATE TABLE iso_segments (
      name TEXT PRIMARY KEY,
      label TEXT,
      kind TEXT NOT NULL CHECK (kind IN ('vlan', 'vxlan')),
      segment_id INTEGER NOT NULL,
      UNIQUE (kind, segment_id)
    )`,
  },
];

interface Row {
  name: string;
  label: string | null;
  kind: SegmentKind;
  segment_id: number;
}

const toSegment = (r: Row): NetworkSegment => ({ name: r.name, label: r.label ?? undefined, kind: r.kind, segmentId: r.segment_id });

export class SegmentStore {
  constructor(private readonly db: Db) {}

  create(s: NetworkSegment): NetworkSegment {
    const bad = checkSegmentId(s.kind, s.segmentId);
    if (bad) throw new TvdcError('INVALID_ARGUMENT', bad);
    if (this.get(s.name)) throw new TvdcError('ALREADY_EXISTS', `segment '${s.name}' already exists`);
    const clash = this.db.prepare('SELECT name FROM iso_segments WHERE kind = ? AND segment_id = ?').pluck().get(s.kind, s.segmentId) as string | undefined;
    if (clash) throw new TvdcError('ALREADY_EXISTS', `${s.kind} ${s.segmentId} is already segment '${clash}'`);
    this.db.prepare('INSERT INTO iso_segments (name, label, kind, segment_id) VALUES (?, ?, ?, ?)').run(s.name, s.label ?? null, s.kind, s.segmentId);
    return this.get(s.name)!;
  }

  get(name: string): NetworkSegment | undefined {
    const r = this.db.prepare('SELECT * FROM iso_segments WHERE name = ?').get(name) as Row | undefined;
    return r ? toSegment(r) : undefined;
  }

  require(name: string): NetworkSegment {
    const s = this.get(name);
    if (!s) throw new TvdcError('NOT_FOUND', `no network segment '${name}'`);
    return s;
  }

  list(): NetworkSegment[] {
    return (this.db.prepare('SELECT * FROM iso_segments ORDER BY name').all() as Row[]).map(toSegment);
  }

  setLabel(name: string, label: string | undefined): void {
    this.db.prepare('UPDATE iso_segments SET label = ? WHERE name = ?').run(label ?? null, name);
  }

  remove(name: string): void {
    this.db.prepare('DELETE FROM iso_segments WHERE name = ?').run(name);
  }
}
