// Keeps the host's active policy (and one policy waiting for activation) in the SQLite store, as
// the JSON model; the XML a user sent is kept too so it can be handed back unchanged.
import type { Db } from '../../store/Store.js';
import type { Policy } from './Policy.js';

export const policyStoreMigrations = [
  {
    id: 'isolation-policy-1',
    up: `CREATE TABLE iso_policy (
      slot TEXT PRIMARY KEY CHECK (slot IN ('active', 'pending')),
      name TEXT NOT NULL,
      version TEXT NOT NULL,
      model TEXT NOT NULL,
      source TEXT,
      stored_at TEXT NOT NULL
    )`,
  },
];

export interface StoredPolicy {
  policy: Policy;
  source: string | undefined;
  storedAt: string;
}

export class PolicyStore {
  constructor(private readonly db: Db) {}

  get(slot: 'active' | 'pending'): StoredPolicy | undefined {
    const row = this.db.prepare('SELECT model, source, stored_at FROM iso_policy WHERE slot = ?').get(slot) as
      | { model: string; source: string | null; stored_at: string }
      | undefined;
    return row ? { policy: JSON.parse(row.model) as Policy, source: row.source ?? undefined, storedAt: row.stored_at } : undefined;
  }

  put(slot: 'active' | 'pending', policy: Policy, source?: string): void {
    this.db
      .prepare('INSERT OR REPLACE INTO iso_policy (slot, name, version, model, source, stored_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(slot, policy.header.name, policy.header.version, JSON.stringify(policy), source ?? null, new Date().toISOString());
  }

  clear(slot: 'active' | 'pending'): void {
    this.db.prepare('DELETE FROM iso_policy WHERE slot = ?').run(slot);
  }
}
