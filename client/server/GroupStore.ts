// TVDc groups in the central database: which hosts each holds, its one policy (the paper: "a TVDc
// should implement only one policy for all the management VMs it contains") and what each host
// last accepted of it.
import type { Db } from '../../src/store/Store.js';
import { loadPolicy } from '../../src/tvdc/policy/loadPolicy.js';
import type { Policy } from '../../src/tvdc/policy/Policy.js';
import { writeAcmXml } from '../../src/tvdc/policy/writeAcmXml.js';
import { ApiError } from './ApiError.js';

/** Group names appear in URLs and tables like user names do. */
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkGroupName(name: unknown): string {
  if (typeof name !== 'string' || !GROUP_NAME.test(name)) {
    throw ApiError.badRequest(`TVDc name must be 1-64 letters, digits, ".", "_" or "-" (starting with a letter or digit), not ${JSON.stringify(name)}`);
  }
  return name;
}

export interface GroupPolicy {
  name: string;
  version: string;
  updatedAt: string;
  updatedBy: string;
  policy: Policy;
  xml: string;
}

export interface Deployment {
  host: string;
  attemptedVersion: string;
  state: 'deployed' | 'failed';
  message: string;
  at: string;
  /** What the host last accepted from this TVDc, if anything: the policy's name and version. */
  deployedName: string | null;
  deployedVersion: string | null;
}

interface DeploymentRow {
  host: string;
  attempted_version: string;
  state: 'deployed' | 'failed';
  message: string;
  at: string;
  deployed_version: string | null;
  deployed_name: string | null;
}

export class GroupStore {
  constructor(private readonly db: Db) {}

  names(): string[] {
    return (this.db.prepare('SELECT name FROM tvdc_groups ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }

  exists(name: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM tvdc_groups WHERE name = ?').get(name);
  }

  /** When the TVDc of this name was (last) created, as ISO text; null when there is none. */
  createdAt(name: string): string | null {
    return (this.db.prepare('SELECT created_at FROM tvdc_groups WHERE name = ?').pluck().get(name) as string | undefined) ?? null;
  }

  /** ApiError 404 when there is no such TVDc. */
  require(name: string): void {
    if (!this.exists(name)) throw ApiError.notFound(`no TVDc named ${name}`);
  }

  create(name: string): void {
    checkGroupName(name);
    if (this.exists(name)) throw ApiError.conflict(`TVDc ${name} already exists`);
    this.db.prepare('INSERT INTO tvdc_groups (name, created_at) VALUES (?, ?)').run(name, new Date().toISOString());
  }

  /** Deletes the TVDc; its hosts stay managed, in no TVDc. */
  delete(name: string): void {
    this.require(name);
    this.db.prepare('DELETE FROM tvdc_groups WHERE name = ?').run(name);
  }

  hostsOf(name: string): string[] {
    return (this.db.prepare('SELECT name FROM hosts WHERE grp = ? ORDER BY name').all(name) as { name: string }[]).map((r) => r.name);
  }

  /** Puts hosts into the TVDc, all or none: each must exist and be in no other TVDc. */
  addHosts(name: string, hosts: readonly string[]): void {
    this.require(name);
    const get = this.db.prepare('SELECT name, grp FROM hosts WHERE name = ?');
    this.db.transaction(() => {
      for (const h of hosts) {
        const row = get.get(h) as { name: string; grp: string | null } | undefined;
        if (!row) throw ApiError.notFound(`no host named ${h}`);
        if (row.grp !== null && row.grp !== name) throw ApiError.conflict(`host ${h} belongs to TVDc ${row.grp}; remove it there first`);
        this.db.prepare('UPDATE hosts SET grp = ? WHERE name = ?').run(name, h);
      }
    })();
  }

  removeHost(name: string, host: string): void {
    this.require(name);
    const r = this.db.prepare('UPDATE hosts SET grp = NULL WHERE name = ? AND grp = ?').run(host, name);
    if (r.changes === 0) throw ApiError.notFound(`host ${host} is not in TVDc ${name}`);
    this.db.prepare('DELETE FROM deployments WHERE grp = ? AND host = ?').run(name, host);
  }

  policy(name: string): GroupPolicy | null {
    const row = this.db.prepare('SELECT xml, name, version, updated_at, updated_by FROM group_policies WHERE grp = ?').get(name) as
      { xml: string; name: string; version: string; updated_at: string; updated_by: string } | undefined;
    if (!row) return null;
    // Parsed when first asked for: listings need only the name and version, and parsing the
    // document was nearly all the time a GET of the TVD list took.
    let parsed: Policy | undefined;
    return {
      name: row.name, version: row.version, updatedAt: row.updated_at, updatedBy: row.updated_by, xml: row.xml,
      get policy(): Policy {
        return (parsed ??= loadPolicy(row.xml, `${name} policy`));
      },
    };
  }

  /** ApiError 409 when the TVDc has no policy yet. */
  requirePolicy(name: string): GroupPolicy {
    this.require(name);
    const p = this.policy(name);
    if (!p) throw ApiError.conflict(`TVDc ${name} has no policy yet: set one with tvdc policy set ${name} FILE`);
    return p;
  }

  setPolicy(name: string, policy: Policy, by: string): GroupPolicy {
    const xml = writeAcmXml(policy);
    this.db.prepare(`INSERT INTO group_policies (grp, xml, name, version, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (grp) DO UPDATE SET xml = excluded.xml, name = excluded.name, version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by`)
      .run(name, xml, policy.header.name, policy.header.version, new Date().toISOString(), by);
    return this.policy(name)!;
  }

  deployments(name: string): Deployment[] {
    const rows = this.db.prepare('SELECT host, attempted_version, state, message, at, deployed_version, deployed_name FROM deployments WHERE grp = ? ORDER BY host').all(name) as DeploymentRow[];
    return rows.map(deployment);
  }

  /** The policy `host` last accepted from this TVDc, or null. */
  deployedPolicy(name: string, host: string): Policy | null {
    const row = this.db.prepare('SELECT deployed_xml FROM deployments WHERE grp = ? AND host = ?').get(name, host) as { deployed_xml: string | null } | undefined;
    return row?.deployed_xml ? loadPolicy(row.deployed_xml, `${name} policy deployed to ${host}`) : null;
  }

  recordDeployment(name: string, host: string, policy: GroupPolicy, ok: boolean, message: string): void {
    const at = new Date().toISOString();
    if (ok) {
      this.db.prepare(`INSERT INTO deployments (grp, host, attempted_version, state, message, at, deployed_version, deployed_name, deployed_xml) VALUES (?, ?, ?, 'deployed', ?, ?, ?, ?, ?)
        ON CONFLICT (grp, host) DO UPDATE SET attempted_version = excluded.attempted_version, state = 'deployed', message = excluded.message, at = excluded.at,
          deployed_version = excluded.deployed_version, deployed_name = excluded.deployed_name, deployed_xml = excluded.deployed_xml`)
        .run(name, host, policy.version, message, at, policy.version, policy.name, policy.xml);
    } else {
      // A failed attempt keeps what the host accepted before: that is what it still enforces.
      this.db.prepare(`INSERT INTO deployments (grp, host, attempted_version, state, message, at) VALUES (?, ?, ?, 'failed', ?, ?)
        ON CONFLICT (grp, host) DO UPDATE SET attempted_version = excluded.attempted_version, state = 'failed', message = excluded.message, at = excluded.at`)
        .run(name, host, policy.version, message, at);
    }
  }
}

function deployment(r: DeploymentRow): Deployment {
  // The name is the accepted document's (recorded with it): a TVDc's policy may have been renamed since.
  return { host: r.host, attemptedVersion: r.attempted_version, state: r.state, message: r.message, at: r.at, deployedName: r.deployed_name, deployedVersion: r.deployed_version };
}
