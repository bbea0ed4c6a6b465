// The management server's core tables: users and their TVDc authorizations, TVDc groups, hosts
// (with the credentials the server uses on them), each group's policy and its deployment per host.
// Other modules add their own migrations with their own ids.
import type { Migration } from '../../src/store/Store.js';
import { loadPolicy } from '../../src/tvdc/policy/loadPolicy.js';

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
  {
    // The accepted policy's name beside its version, so the views that list deployments (every
    // GET of a TVDc) need not parse each host's accepted policy document to learn it.
    id: 'server-2-deployed-name',
    up: (db) => {
      db.exec('ALTER TABLE deployments ADD COLUMN deployed_name TEXT');
      const rows = db.prepare('SELECT grp, host, deployed_xml FROM deployments WHERE deployed_xml IS NOT NULL').all() as { grp: string; host: string; deployed_xml: string }[];
      const set = db.prepare('UPDATE deployments SET deployed_name = ? WHERE grp = ? AND host = ?');
      for (const r of rows) set.run(loadPolicy(r.deployed_xml, `${r.grp} policy deployed to ${r.host}`).header.name, r.grp, r.host);
    },
  },
  {
    // The key of the web console's anti-CSRF tokens, kept so the forms a browser holds stay valid
    // across restarts. ConsoleTokens makes it, sealed under the server's key, which a migration
    // does not have; databases made before that hold it in plain text until their next start.
    id: 'server-3-console-secret',
    up: (db) => {
      db.exec('CREATE TABLE console_secret (id INTEGER PRIMARY KEY CHECK (id = 1), secret BLOB NOT NULL, created_at TEXT NOT NULL)');
    },
  },
];
