// The hosts the management server manages: their WBEM URLs, the credentials the server uses on
// them (kept only in the central database, never returned by the API) and their TVDc. It hands
// out one pooled CIM connection per host.
import { CimError, CimStatus, WbemConnection } from '../cim/index.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { Db } from '../../src/store/Store.js';
import { ApiError } from './ApiError.js';
import type { HostDirectory, HostRecord } from './ServerContext.js';
import { hostFailure } from './hostFailure.js';

export const TVDC_NAMESPACE = 'root/tvdc';
const VM_CLASS = 'TVDc_ComputerSystem';

/** Short timeouts: an API call waiting on a dead host should fail in seconds, not minutes. */
const HOST_TIMEOUTS = { connect: 5_000, headers: 30_000, body: 30_000 };

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

  constructor(private readonly db: Db) {}

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
      .run(name, url, creds.user, creds.password, creds.ca ?? null, new Date().toISOString());
    return this.get(name);
  }

  /** Runs `hook` on every host removed from now on. */
  onRemove(hook: HostRemovalHook): void {
    this.removalHooks.push(hook);
  }

  /** Forgets the host, then lets the hooks clean up on it; answers their reports by hook name. */
  async remove(name: string): Promise<Record<string, unknown>> {
    const host = this.get(name);
    const conn = this.connection(name);
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

  connection(name: string): WbemConnection {
    let c = this.connections.get(name);
    if (c) return c;
    const row = this.db.prepare('SELECT name, url, grp, host_user, host_password, host_ca FROM hosts WHERE name = ?').get(name) as HostRow | undefined;
    if (!row) throw ApiError.notFound(`no host named ${name}`);
    c = new WbemConnection(row.url, {
      namespace: TVDC_NAMESPACE,
      timeouts: HOST_TIMEOUTS,
      ...(row.host_user ? { user: row.host_user, password: row.host_password ?? '' } : {}),
      ...(row.host_ca ? { tls: { ca: row.host_ca } } : {}),
    });
    this.connections.set(name, c);
    return c;
  }

  /**
   * The host that has `vm`, asking every host (or only those of `group`). A VM name found on two
   * hosts is refused as ambiguous rather than guessed. Unreachable hosts are skipped but named
   * when the VM is not found elsewhere.
   */
  async hostOfVm(vm: string, group?: string): Promise<HostRecord> {
    const hosts = this.list().filter((h) => group === undefined || h.group === group);
    const path = CimObjectPath.instance(VM_CLASS, { CreationClassName: VM_CLASS, Name: vm }, TVDC_NAMESPACE);
    const unreachable: string[] = [];
    const found = (await Promise.all(hosts.map(async (h) => {
      try {
        await this.connection(h.name).getInstance(path);
        return h;
      } catch (e) {
        if (e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND) return null;
        unreachable.push(`${h.name} (${hostFailure(h.name, e)?.message ?? (e as Error).message})`);
        return null;
      }
    }))).filter((h): h is HostRecord => h !== null);
    if (found.length > 1) throw ApiError.conflict(`VM ${vm} exists on several hosts: ${found.map((h) => h.name).join(', ')}`);
    if (found.length === 1) return found[0]!;
    const where = group === undefined ? 'any managed host' : `any host of TVDc ${group}`;
    throw ApiError.notFound(`no VM named ${vm} on ${where}${unreachable.length ? `; not reachable: ${unreachable.join('; ')}` : ''}`);
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
}

function record(row: HostRow): HostRecord {
  return { name: row.name, url: row.url, group: row.grp };
}
