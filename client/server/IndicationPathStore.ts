// Where each managed host delivers its indications: one secret path per host (a random token,
// given to the host only over the server's authenticated CIM connection), and the name of the
// subscription made on it per indication class, so a server at a new address can replace them.
import { randomBytes } from 'node:crypto';
import { migrate, type Db, type Migration } from '../../src/store/Store.js';

const MIGRATIONS: readonly Migration[] = [
  {
    id: 'server-indications-1',
    up: (db) => {
      db.exec(`
        -- An indication on a host's path comes from that host (or from someone who read the host's
        -- subscription), never from an arbitrary sender.
        CREATE TABLE indication_paths (
          host TEXT PRIMARY KEY REFERENCES hosts(name) ON DELETE CASCADE,
          token TEXT NOT NULL UNIQUE
        );
        CREATE TABLE indication_subscriptions (
          host TEXT NOT NULL REFERENCES indication_paths(host) ON DELETE CASCADE,
          class TEXT NOT NULL,
          name TEXT NOT NULL,
          PRIMARY KEY (host, class)
        );`);
      // Before one feed served every class, the violations module kept the tokens (migration
      // server-violations-1): hosts keep the paths they were given, and their subscriptions are
      // replaced, not doubled, at the next pass.
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'violation_tokens'").get()) {
        db.exec(`
          INSERT INTO indication_paths (host, token) SELECT host, token FROM violation_tokens;
          INSERT INTO indication_subscriptions (host, class, name)
            SELECT host, 'TVDc_AccessDeniedIndication', subscription FROM violation_tokens WHERE subscription IS NOT NULL;
          DROP TABLE violation_tokens;`);
      }
    },
  },
];

export class IndicationPathStore {
  constructor(private readonly db: Db) {
    migrate(db, MIGRATIONS);
  }

  /** The host's token, made on first use and kept, so a restarted server keeps its subscriptions. */
  tokenOf(host: string): string {
    const existing = this.existingToken(host);
    if (existing !== null) return existing;
    const token = randomBytes(18).toString('base64url');
    this.db.prepare('INSERT INTO indication_paths (host, token) VALUES (?, ?)').run(host, token);
    return token;
  }

  /** The host's token if it has one (nothing is made). */
  existingToken(host: string): string | null {
    const row = this.db.prepare('SELECT token FROM indication_paths WHERE host = ?').get(host) as { token: string } | undefined;
    return row?.token ?? null;
  }

  /**
   * Forgets the host's path and subscriptions (it is no longer managed): a delivery on the old
   * path is dropped from now on, and a host added again later gets a new path.
   */
  forgetHost(host: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM indication_subscriptions WHERE host = ?').run(host);
      this.db.prepare('DELETE FROM indication_paths WHERE host = ?').run(host);
    })();
  }

  hostOfToken(token: string): string | null {
    const row = this.db.prepare('SELECT host FROM indication_paths WHERE token = ?').get(token) as { host: string } | undefined;
    return row?.host ?? null;
  }

  subscriptionOf(host: string, className: string): string | null {
    const row = this.db.prepare('SELECT name FROM indication_subscriptions WHERE host = ? AND class = ?').get(host, className) as { name: string } | undefined;
    return row?.name ?? null;
  }

  /** Every subscription recorded for the host, whatever its class. */
  subscriptions(host: string): { className: string; name: string }[] {
    return this.db.prepare('SELECT class AS className, name FROM indication_subscriptions WHERE host = ? ORDER BY class').all(host) as { className: string; name: string }[];
  }

  setSubscription(host: string, className: string, name: string): void {
    this.db.prepare('INSERT INTO indication_subscriptions (host, class, name) VALUES (?, ?, ?) ON CONFLICT (host, class) DO UPDATE SET name = excluded.name')
      .run(host, className, name);
  }

  forgetSubscription(host: string, className: string): void {
    this.db.prepare('DELETE FROM indication_subscriptions WHERE host = ? AND class = ?').run(host, className);
  }
}
