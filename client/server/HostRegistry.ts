// The hosts the management server manages: their WBEM URLs, the credentials the server uses on
// them (kept only in the central database, the password encrypted under the server's key file,
// never returned by the API) and their TVDc. It hands out one pooled CIM connection per host.
import { WbemConnection, type Timeouts } from '../cim/index.js';
import type { Db } from '../../src/store/Store.js';
import { ApiError } from './ApiError.js';
import { TVDC_NAMESPACE, hasVm, loginOptions } from './HostCim.js';
import type { HostDirectory, HostLogin, HostRecord } from './ServerContext.js';
import { hostFailure } from './hostFailure.js';
import { SecretBox, SecretBoxError } from './SecretBox.js';
import { keyName, type SealingKey } from './ServerKey.js';
import { scrubFreedPages, withSecureDelete } from './plainTextScrub.js';


/**
 * Short timeouts: an API call waiting on a dead host should fail in seconds, not minutes. `total`
 * bounds the whole answer: a host that trickles its answer byte by byte resets the body timeout
 * with every byte and would otherwise hold the API request without limit.
 */
const HOST_TIMEOUTS: Readonly<Timeouts> = { connect: 5_000, headers: 30_000, body: 30_000, total: 60_000 };

export interface HostCredentials {
  user: string | null;
  password: string | null;
  /** PEM CA certificate(s) for an HTTPS host whose certificate the system's CAs do not sign. */
  ca?: string | null;
}

interface HostRow {
  name: string;
  url: string;
  grp: string | null;
  host_user: string | null;
  host_password: string | null;
  host_ca: string | null;
}

/**
 * Something a part of the server set up on its hosts and undoes when the server stops managing
 * one (the indication feed's subscriptions). `prepare` runs while the host is still recorded, to
 * read what was made there; the work it returns runs once the host is forgotten, so nothing new is
 * set up on it meanwhile. The work is best effort: it reports how far it got and never throws, so
 * a host that cannot be reached does not hold up its removal.
 */
export interface HostRemovalHook {
  /** The field of the removal's answer that carries the report. */
  name: string;
  prepare(host: HostRecord): (conn: WbemConnection) => Promise<unknown>;
}

export class HostRegistry implements HostDirectory {
  private readonly connections = new Map<string, WbemConnection>();
  private readonly removalHooks: HostRemovalHook[] = [];

  private readonly box: SecretBox;
  /** The key as log lines and errors name it. */
  private readonly keyName: string;
  /** HOST_TIMEOUTS, with what the server was told to change of them (tests). */
  private readonly timeouts: Timeouts;

  /**
   * Encrypts the passwords still stored in plain text (databases made before encryption), then
   * names the hosts whose passwords this key does not decrypt. Those hosts stay managed: the
   * rest of the database is usable, and each CIM call to them says why it cannot be made.
   */
  constructor(private readonly db: Db, secrets: SealingKey, timeouts: Partial<Timeouts> = {}) {
    this.timeouts = { ...HOST_TIMEOUTS, ...timeouts };
    this.box = secrets.box;
    this.keyName = keyName(secrets);
    const log = secrets.log ?? (() => {});
    const encrypted = this.encryptPlainPasswords();
    if (encrypted > 0) {
      log(`host passwords: encrypted the ${encrypted} stored in plain text, with ${this.keyName}`);
      const left = scrubFreedPages(this.db);
      if (left) log(`host passwords: the database file may still hold the old plain-text passwords in unused space (${left}); run VACUUM on it while the server is stopped`);
    }
    const unreadable = this.undecryptable();
    if (unreadable.length > 0) {
      log(`host passwords: ${unreadable.length} cannot be decrypted with ${this.keyName}, hosts ${unreadable.join(', ')}: `
        + 'calls to them fail until the server runs with the key file they were encrypted with, or each is given its password again (tvdc hosts credentials HOST)');
    }
  }

  /** Whether the database holds passwords encrypted with some key (then a new key would not read them). */
  static holdsEncryptedPasswords(db: Db): boolean {
    return (db.prepare('SELECT host_password FROM hosts WHERE host_password IS NOT NULL').all() as { host_password: string }[])
      .some((r) => SecretBox.isSealed(r.host_password));
  }

  list(): HostRecord[] {
    return (this.db.prepare('SELECT name, url, grp FROM hosts ORDER BY name').all() as HostRow[]).map(record);
  }

  find(name: string): HostRecord | null {
    const row = this.db.prepare('SELECT name, url, grp FROM hosts WHERE name = ?').get(name) as HostRow | undefined;
    return row ? record(row) : null;
  }

  get(name: string): HostRecord {
    const h = this.find(name);
    if (!h) throw ApiError.notFound(`no host named ${name}`);
    return h;
  }

  /** Whether the server has credentials for the host (the API shows this, never the credentials). */
  hasCredentials(name: string): boolean {
    const row = this.db.prepare('SELECT host_user FROM hosts WHERE name = ?').get(name) as { host_user: string | null } | undefined;
    return !!row?.host_user;
  }

  add(name: string, url: string, creds: HostCredentials): HostRecord {
    if (this.find(name)) throw ApiError.conflict(`host ${name} is already managed`);
    const same = this.db.prepare('SELECT name FROM hosts WHERE url = ?').get(url) as { name: string } | undefined;
    if (same) throw ApiError.conflict(`${url} is already managed as host ${same.name}`);
    this.db.prepare('INSERT INTO hosts (name, url, host_user, host_password, host_ca, grp, added_at) VALUES (?, ?, ?, ?, ?, NULL, ?)')
      .run(name, url, creds.user, this.encrypt(name, creds.password), creds.ca ?? null, new Date().toISOString());
    return this.get(name);
  }

  /**
   * Replaces the credentials the server uses on the host (a password changed on the host, a new
   * CA, a key file lost); the pooled connection with the old ones is dropped.
   */
  async setCredentials(name: string, creds: HostCredentials): Promise<void> {
    this.get(name);
    this.db.prepare('UPDATE hosts SET host_user = ?, host_password = ?, host_ca = ? WHERE name = ?')
      .run(creds.user, this.encrypt(name, creds.password), creds.ca ?? null, name);
    await this.drop(name);
  }

  /** Runs `hook` on every host removed from now on. */
  onRemove(hook: HostRemovalHook): void {
    this.removalHooks.push(hook);
  }

  /** Forgets the host, then lets the hooks clean up on it; answers their reports by hook name. */
  async remove(name: string): Promise<Record<string, unknown>> {
    const host = this.get(name);
    // A host whose password this key cannot decrypt must still be removable: removing it and
    // adding it again is how it gets a password the server can read. Its hooks then get a
    // connection that refuses every call, and report what stays on the host in their own words.
    const conn = this.connectionOrWhyNot(name);
    const work = this.removalHooks.map((h) => [h.name, h.prepare(host)] as const);
    this.db.prepare('DELETE FROM hosts WHERE name = ?').run(name);
    // The hooks keep the removed host's connection; a host added again under the name gets its own.
    this.connections.delete(name);
    const reports: Record<string, unknown> = {};
    try {
      for (const [key, run] of work) reports[key] = await run(conn);
    } finally {
      await conn.close();
    }
    return reports;
  }

  setGroup(name: string, group: string | null): void {
    this.db.prepare('UPDATE hosts SET grp = ? WHERE name = ?').run(group, name);
  }

  /** ApiError HOST_UNREACHABLE when the host's stored password cannot be decrypted with this key. */
  connection(name: string): WbemConnection {
    let c = this.connections.get(name);
    if (c) return c;
    const login = this.login(name);
    c = new WbemConnection(login.url, { namespace: TVDC_NAMESPACE, timeouts: this.timeouts, ...loginOptions(login) });
    this.connections.set(name, c);
    return c;
  }

  private connectionOrWhyNot(name: string): WbemConnection {
    try {
      return this.connection(name);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'HOST_UNREACHABLE') return refusingConnection(this.get(name).url, e);
      throw e;
    }
  }

  /**
   * How the server logs in to the host, password decrypted: for the server's own calls and for a
   * host that must call another on its behalf (a migration's destination). Never for an answer.
   * ApiError NOT_FOUND for an unknown host, HOST_UNREACHABLE when the password does not decrypt.
   */
  login(name: string): HostLogin {
    const row = this.db.prepare('SELECT name, url, grp, host_user, host_password, host_ca FROM hosts WHERE name = ?').get(name) as HostRow | undefined;
    if (!row) throw ApiError.notFound(`no host named ${name}`);
    return { url: row.url, user: row.host_user, password: this.decrypt(row), ca: row.host_ca };
  }

  /**
   * The host that has `vm`, asking every host (or only those of `group`). A VM name found on two
   * hosts is refused as ambiguous rather than guessed. Unreachable hosts are skipped but named
   * when the VM is not found elsewhere.
   */
  async hostOfVm(vm: string, group?: string): Promise<HostRecord> {
    const { found, unreachable } = await this.hostsWithVm(vm, group);
    if (found.length > 1) throw ApiError.conflict(`VM ${vm} exists on several hosts: ${found.map((h) => h.name).join(', ')}`);
    if (found.length === 1) return found[0]!;
    const where = group === undefined ? 'any managed host' : `any host of TVDc ${group}`;
    throw ApiError.notFound(`no VM named ${vm} on ${where}${unreachable.length ? `; not reachable: ${unreachable.join('; ')}` : ''}`);
  }

  /**
   * Every host (of `group` when given) that has `vm`, and the hosts that could not be asked (with
   * why), for a caller that must name only some of them.
   */
  async hostsWithVm(vm: string, group?: string): Promise<{ found: HostRecord[]; unreachable: string[] }> {
    const hosts = this.list().filter((h) => group === undefined || h.group === group);
    const unreachable: string[] = [];
    const found = (await Promise.all(hosts.map(async (h) => {
      try {
        return (await hasVm(this.connection(h.name), vm)) ? h : null;
      } catch (e) {
        unreachable.push(`${h.name} (${hostFailure(h.name, e)?.message ?? (e as Error).message})`);
        return null;
      }
    }))).filter((h): h is HostRecord => h !== null);
    return { found, unreachable };
  }

  /** Forgets the host's pooled connection (its URL or credentials changed, or it was removed). */
  async drop(name: string): Promise<void> {
    const c = this.connections.get(name);
    this.connections.delete(name);
    await c?.close();
  }

  async close(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  /** The host's name is the additional data: a value copied into another host's row does not decrypt there. */
  private encrypt(host: string, password: string | null): string | null {
    return password === null ? null : this.box.seal(password, passwordContext(host));
  }

  private decrypt(row: HostRow): string | null {
    if (row.host_password === null) return null;
    try {
      return this.box.open(row.host_password, passwordContext(row.name));
    } catch (e) {
      if (!(e instanceof SecretBoxError)) throw e;
      // Never a connection with garbage, nor without credentials: the host would only refuse it
      // and the reason would be lost.
      const what = e.code === 'NOT_SEALED' ? 'is not in an encrypted format this server reads' : `cannot be decrypted with ${this.keyName}`;
      throw ApiError.hostUnreachable(`host ${row.name}: the password stored for it ${what}; `
        + 'start the server with the key file it was encrypted with, or give the host its password again (tvdc hosts credentials HOST)');
    }
  }

  /** One transaction: a crash leaves every row as it was or every row encrypted. */
  private encryptPlainPasswords(): number {
    return withSecureDelete(this.db, () => this.db.transaction(() => {
      const rows = this.db.prepare('SELECT name, host_password FROM hosts WHERE host_password IS NOT NULL').all() as { name: string; host_password: string }[];
      const update = this.db.prepare('UPDATE hosts SET host_password = ? WHERE name = ?');
      let n = 0;
      for (const r of rows) {
        if (SecretBox.isSealed(r.host_password)) continue;
        update.run(this.encrypt(r.name, r.host_password), r.name);
        n++;
      }
      return n;
    })());
  }

  private undecryptable(): string[] {
    const rows = this.db.prepare('SELECT name, url, grp, host_user, host_password, host_ca FROM hosts WHERE host_password IS NOT NULL ORDER BY name').all() as HostRow[];
    return rows.filter((r) => {
      try {
        this.decrypt(r);
        return false;
      } catch (e) {
        if (e instanceof ApiError) return true;
        throw e;
      }
    }).map((r) => r.name);
  }
}

/** A connection on which every operation fails with `why` before anything is sent; close() works. */
function refusingConnection(url: string, why: ApiError): WbemConnection {
  return new Proxy(new WbemConnection(url, { namespace: TVDC_NAMESPACE }), {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || prop === 'close') return v;
      return () => {
        throw why;
      };
    },
  });
}

function passwordContext(host: string): string {
  return `tvdc hosts.host_password ${host}`;
}

function record(row: HostRow): HostRecord {
  return { name: row.name, url: row.url, group: row.grp };
}
