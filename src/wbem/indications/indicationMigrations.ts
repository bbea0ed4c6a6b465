// The SQLite schema of the indication service: filters, listener destinations, subscriptions,
// the per-destination delivery queue and the service's own state (its start counter).
import type { Migration } from '../../store/Store.js';

export const INDICATION_MIGRATIONS: readonly Migration[] = [
  {
    id: 'indications-1',
    up: `
      CREATE TABLE ind_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      -- ident: the four keys normalised (class names lower-cased), unique per kind of object.
      CREATE TABLE ind_filter (
        id INTEGER PRIMARY KEY,
        ident TEXT NOT NULL UNIQUE,
        namespace TEXT NOT NULL,
        query TEXT NOT NULL,
        language TEXT NOT NULL,
        source_namespaces TEXT NOT NULL,
        properties TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE ind_destination (
        id INTEGER PRIMARY KEY,
        ident TEXT NOT NULL UNIQUE,
        namespace TEXT NOT NULL,
        url TEXT NOT NULL,
        properties TEXT NOT NULL,
        created_at TEXT NOT NULL,
        -- The sequence context of the current server start and the next SequenceNumber in it.
        seq_context TEXT,
        next_seq TEXT NOT NULL DEFAULT '0'
      );
      CREATE TABLE ind_subscription (
        id INTEGER PRIMARY KEY,
        filter_id INTEGER NOT NULL REFERENCES ind_filter(id),
        destination_id INTEGER NOT NULL REFERENCES ind_destination(id),
        namespace TEXT NOT NULL,
        state INTEGER NOT NULL,
        on_fatal_error INTEGER NOT NULL,
        properties TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (filter_id, destination_id)
      );
      -- One row per indication still to deliver; rowid order is delivery order per destination.
      CREATE TABLE ind_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        destination_id INTEGER NOT NULL REFERENCES ind_destination(id) ON DELETE CASCADE,
        subscription_id INTEGER REFERENCES ind_subscription(id) ON DELETE SET NULL,
        body TEXT NOT NULL,
        seq_context TEXT NOT NULL,
        seq_number TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      );
      CREATE INDEX ind_queue_by_destination ON ind_queue (destination_id, id);
    `,
  },
  {
    // SubscriptionDuration: the instant (ms since the epoch) a subscription ends; NULL for never.
    id: 'indications-2',
    up: 'ALTER TABLE ind_subscription ADD COLUMN expires_at INTEGER',
  },
];
