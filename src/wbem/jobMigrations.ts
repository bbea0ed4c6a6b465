// The SQLite schema of the job tables (JobStore.ts): one row per job of any kind, as it is now.
import type { Migration } from '../store/Store.js';

export const JOB_MIGRATIONS: readonly Migration[] = [
  {
    id: 'jobs-1',
    up: `
      -- kind: which table the job belongs to (its id prefix, e.g. TVDc:MigrationJob:).
      -- detail: the provider's own data as JSON. Times are ms since the epoch (UTC).
      CREATE TABLE wbem_job (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL,
        owner TEXT,
        state TEXT NOT NULL,
        percent_complete INTEGER NOT NULL,
        status TEXT NOT NULL,
        submitted_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        state_changed_at INTEGER NOT NULL,
        failure_code INTEGER,
        failure_description TEXT
      );
      CREATE INDEX wbem_job_by_kind ON wbem_job (kind, submitted_at);
    `,
  },
];
