// The management server's core tables: users and their TVDc authorizations, TVDc groups, hosts
// (with the credentials the server uses on them), each group's policy and its deployment per host.
// Other modules add their own migrations with their own ids.
import type { Migration } from '../../src/store/Store.js';

export const SERVER_MIGRATIONS: readonly Migration[] = [
  {
    id: 'server-1-core',
    up: `
      CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('dcadmin', 'tvdcadmin')),
        password TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE tvdc_groups (
        name TEXT PRIMARY KEY,
        created_at TEXT NOT NULL
      );
      CREATE TABLE user_groups (
        user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        grp TEXT NOT NULL REFERENCES tvdc_groups(name) ON DELETE CASCADE,
        PRIMARY KEY (user, grp)
      );
      CREATE TABLE hosts (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        host_user TEXT,
        host_password TEXT,
        -- the CA (PEM) of an HTTPS host's certificate, when the system's CAs do not sign it
        host_ca TEXT,
        grp TEXT REFERENCES tvdc_groups(name) ON DELETE SET NULL,
        added_at TEXT NOT NULL
      );
      CREATE TABLE group_policies (
        grp TEXT PRIMARY KEY REFERENCES tvdc_groups(name) ON DELETE CASCADE,
        xml TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
      );
      -- The last deployment attempt on each host of a group, and what the host last accepted
      -- (label assignment checks against what the VM's host really enforces).
      CREATE TABLE deployments (
        grp TEXT NOT NULL REFERENCES tvdc_groups(name) ON DELETE CASCADE,
        host TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
        attempted_version TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('deployed', 'failed')),
        message TEXT NOT NULL,
        at TEXT NOT NULL,
        deployed_version TEXT,
        deployed_xml TEXT,
        PRIMARY KEY (grp, host)
      );
    `,
  },
];
