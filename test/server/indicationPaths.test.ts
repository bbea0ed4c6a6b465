// A database from before the one indication feed: the delivery paths the violations module kept
// (violation_tokens) are taken over by the feed's tables, whichever of the two migrations runs
// first, so hosts keep delivering to the paths they were given and their old subscriptions are
// replaced, not doubled.
import { expect } from 'chai';
import { join } from 'node:path';
import { HostIndicationFeed } from '../../client/server/HostIndicationFeed.js';
import { ManagementServer, openServerDb } from '../../client/server/ManagementServer.js';
import { createViolationsModule } from '../../client/server/violationsModule.js';
import type { ServerModule } from '../../client/server/ServerContext.js';
import { tempDir } from './support/serverHarness.js';

/** The violations tables as server-violations-1 made them, with one host's token and subscription. */
function legacyDatabase(file: string): void {
  const db = openServerDb(file);
  db.exec(`
    CREATE TABLE isolation_violations (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, received_at TEXT NOT NULL, host TEXT NOT NULL, grp TEXT,
      operation TEXT NOT NULL, subject TEXT NOT NULL, subject_label TEXT, object TEXT, object_label TEXT, rule TEXT NOT NULL, reason TEXT NOT NULL);
    CREATE INDEX isolation_violations_by_group ON isolation_violations (grp, id);
    CREATE TABLE violation_tokens (host TEXT PRIMARY KEY REFERENCES hosts(name) ON DELETE CASCADE, token TEXT NOT NULL UNIQUE, subscription TEXT);`);
  db.prepare("INSERT INTO schema_migrations (id, applied_at) VALUES ('server-violations-1', ?)").run(new Date().toISOString());
  db.prepare("INSERT INTO hosts (name, url, added_at) VALUES ('h1', 'http://127.0.0.1:1', ?), ('h2', 'http://127.0.0.1:2', ?)").run(new Date().toISOString(), new Date().toISOString());
  db.prepare("INSERT INTO violation_tokens (host, token, subscription) VALUES ('h1', 'h1-secret', 'tvdc-mgmt-isolation-0123456789ab'), ('h2', 'h2-secret', NULL)").run();
  db.close();
}

describe('management server: the delivery paths of hosts survive the move to the one indication feed', () => {
  const tmp = tempDir('tvdc-feed-paths-');
  after(() => tmp.remove());

  for (const order of ['feed first', 'violations first'] as const) {
    it(`tokens and subscription names are taken over, the old table dropped (${order})`, async () => {
      const file = join(tmp.dir, `${order.replace(' ', '-')}.db`);
      legacyDatabase(file);
      const feed = new HostIndicationFeed();
      const modules: ServerModule[] = order === 'feed first' ? [feed.module, createViolationsModule(feed)] : [createViolationsModule(feed), feed.module];
      const server = ManagementServer.open({ db: file, modules, log: () => {} });
      try {
        expect(server.db.prepare('SELECT host, token FROM indication_paths ORDER BY host').all()).to.deep.equal([
          { host: 'h1', token: 'h1-secret' }, { host: 'h2', token: 'h2-secret' },
        ]);
        expect(server.db.prepare('SELECT host, class, name FROM indication_subscriptions').all()).to.deep.equal([
          { host: 'h1', class: 'TVDc_AccessDeniedIndication', name: 'tvdc-mgmt-isolation-0123456789ab' },
        ]);
        expect(server.db.prepare("SELECT name FROM sqlite_master WHERE name = 'violation_tokens'").all()).to.deep.equal([]);
      } finally {
        await server.stop();
      }
    });
  }

  it('a new database has the feed\'s tables and no violation_tokens, in either order', async () => {
    for (const first of [true, false]) {
      const feed = new HostIndicationFeed();
      const modules = first ? [feed.module, createViolationsModule(feed)] : [createViolationsModule(feed), feed.module];
      const server = ManagementServer.open({ db: join(tmp.dir, `new-${first}.db`), modules, log: () => {} });
      try {
        const tables = (server.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('indication_paths', 'indication_subscriptions', 'violation_tokens') ORDER BY name").pluck().all());
        expect(tables).to.deep.equal(['indication_paths', 'indication_subscriptions']);
      } finally {
        await server.stop();
      }
    }
  });
});
