// The management server's own schema steps over a real SQLite file: a database written before a
// step is carried forward with what it held.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GroupStore } from '../../client/server/GroupStore.js';
import { SERVER_MIGRATIONS } from '../../client/server/serverSchema.js';
import { migrate, openStore } from '../../src/store/Store.js';
import { tempDir } from './support/serverHarness.js';

const PAPER_POLICY = join(import.meta.dirname, '..', '..', 'fixtures', 'policies', 'paper-ma-su.xml');

describe('management server schema', () => {
  it('a deployment recorded before deployments kept the policy name gets it from the accepted document', () => {
    const tmp = tempDir('tvdc-schema-');
    try {
      const file = join(tmp.dir, 'server.db');
      let db = openStore(file);
      migrate(db, SERVER_MIGRATIONS.filter((m) => m.id === 'server-1-core'));
      const now = new Date().toISOString();
      db.prepare('INSERT INTO tvdc_groups (name, created_at) VALUES (?, ?)').run('fin', now);
      db.prepare('INSERT INTO hosts (name, url, added_at) VALUES (?, ?, ?)').run('h1', 'http://127.0.0.1:1', now);
      db.prepare('INSERT INTO hosts (name, url, added_at) VALUES (?, ?, ?)').run('h2', 'http://127.0.0.1:2', now);
      db.prepare(`INSERT INTO deployments (grp, host, attempted_version, state, message, at, deployed_version, deployed_xml)
        VALUES ('fin', 'h1', '1.0', 'deployed', 'active', ?, '1.0', ?)`).run(now, readFileSync(PAPER_POLICY, 'utf8'));
      db.prepare(`INSERT INTO deployments (grp, host, attempted_version, state, message, at) VALUES ('fin', 'h2', '1.0', 'failed', 'refused', ?)`).run(now);
      db.close();

      db = openStore(file);
      migrate(db, SERVER_MIGRATIONS);
      expect(new GroupStore(db).deployments('fin').map((d) => [d.host, d.deployedName, d.deployedVersion])).to.deep.equal([
        ['h1', 'tvdc-paper', '1.0'],
        ['h2', null, null],
      ]);
      db.close();
    } finally {
      tmp.remove();
    }
  });
});
