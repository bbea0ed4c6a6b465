// Who may send a VM where. MigrateVirtualSystemToHost hands the VM, and its whole vTPM, to the
// destination the caller names; only the host's administrator may name any destination. Any other
// caller (the management server's login has the role write) must bring a MigrationAuthorization:
// the management server's signed statement naming this VM, this host, the destination's origin and
// the destination's migration key, which the server read over its own connection. The server's
// key is the one tvdc-host --manager-key names; without it no such caller migrates at all.
// Refusals are ACCESS_DENIED: they are about the caller's right to make the call.
import type { KeyObject } from 'node:crypto';
import { migrate, type Db } from '../store/Store.js';
import { TvdcError } from './TvdcError.js';
import { MAX_AUTHORIZATION_SECONDS, NO_MANAGER_KEY, verifyMigrationAuthorization, type MigrationAuthorization } from './MigrationAuthorization.js';

const deny = (message: string): TvdcError => new TvdcError('ACCESS_DENIED', message);

/** Who calls: an administrator of the host (not through a one-time grant) may migrate anywhere. */
export interface MigrationCaller {
  user: string | null;
  role: string;
  /** Whether the call comes through a one-time grant (a migration ticket) rather than a user. */
  granted: boolean;
}

const MIGRATIONS = [
  // IF NOT EXISTS: hosts that ran before this table was a migration made it already.
  { id: 'isolation-migration-authorizations-1', up: 'CREATE TABLE IF NOT EXISTS migration_authorizations_used (id TEXT PRIMARY KEY, expires INTEGER NOT NULL)' },
];

export class MigrationAuthority {
  constructor(
    /** The management server's Ed25519 public key (tvdc-host --manager-key); null when not given. */
    private readonly managerKey: KeyObject | null,
    /** The host's store: ids of the authorizations used, each kept until it expires. */
    private readonly db: Db,
    private readonly hostName: string,
  ) {
    migrate(db, MIGRATIONS);
  }

  /**
   * null when the caller is this host's administrator (it may migrate anywhere, and any
   * MigrationAuthorization it passes is not looked at); otherwise the verified statement for this
   * VM and destination, not yet spent. Throws ACCESS_DENIED saying why not.
   */
  check(caller: MigrationCaller, authorization: unknown, vm: string, destination: string): MigrationAuthorization | null {
    if (caller.role === 'admin' && !caller.granted) return null;
    const who = `${caller.user ?? 'caller'} (${caller.role})`;
    if (this.managerKey === null) {
      throw deny(`${NO_MANAGER_KEY}: ${who} may not migrate VMs from host '${this.hostName}'; only an admin may, unless the host is started with --manager-key FILE (the management server's public key, tvdc server manager-key) and the call brings that server's MigrationAuthorization`);
    }
    if (typeof authorization !== 'string' || authorization.trim() === '') {
      throw deny(`${who} may migrate VM '${vm}' only with a MigrationAuthorization from the management server of host '${this.hostName}' (migrate it through that server: tvdc vms migrate)`);
    }
    let s: MigrationAuthorization;
    try {
      s = verifyMigrationAuthorization(authorization, this.managerKey);
    } catch (e) {
      if (e instanceof TvdcError) throw deny(`${e.message}; VM '${vm}' keeps running on '${this.hostName}'`);
      throw e;
    }
    if (s.vm !== vm) throw deny(`MigrationAuthorization is for VM '${s.vm}', not '${vm}'`);
    if (s.source !== this.hostName) throw deny(`MigrationAuthorization is for a VM leaving host '${s.source}', not '${this.hostName}'`);
    if (s.destination !== destination) throw deny(`MigrationAuthorization sends VM '${vm}' to ${s.destination}, not to ${destination}`);
    if (this.used(s.id)) throw deny(`MigrationAuthorization ${s.id} was used already; each is good for one migration`);
    return s;
  }

  /**
   * Holds the destination's migration key as read over the migration's own connection (its
   * SHA-256 fingerprint, null when it publishes none) to the one the statement names.
   */
  checkDestinationKey(s: MigrationAuthorization, fingerprint: string | null, vm: string): void {
    if (s.destinationKey === fingerprint) return;
    const shown = (f: string | null) => (f === null ? 'no migration key' : `migration key SHA-256 ${f}`);
    throw deny(`MigrationAuthorization names ${shown(s.destinationKey)} for ${s.destination}, and the host answering there has ${shown(fingerprint)}: it is not the destination the management server meant; VM '${vm}' keeps running on '${this.hostName}'`);
  }

  /** Records the statement as used; refused when another call used it meanwhile. */
  spend(s: MigrationAuthorization): void {
    const now = Math.floor(Date.now() / 1000);
    this.db.prepare('DELETE FROM migration_authorizations_used WHERE expires <= ?').run(now);
    // Kept no longer than an authorization may live, whatever its own expiry says.
    const keep = Math.min(s.expires, now + MAX_AUTHORIZATION_SECONDS);
    const r = this.db.prepare('INSERT OR IGNORE INTO migration_authorizations_used (id, expires) VALUES (?, ?)').run(s.id, keep);
    if (r.changes === 0) throw deny(`MigrationAuthorization ${s.id} was used already; each is good for one migration`);
  }

  private used(id: string): boolean {
    const row = this.db.prepare('SELECT expires FROM migration_authorizations_used WHERE id = ?').get(id) as { expires: number } | undefined;
    return row !== undefined && row.expires > Math.floor(Date.now() / 1000);
  }
}
