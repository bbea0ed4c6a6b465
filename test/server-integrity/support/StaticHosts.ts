// A HostDirectory over a fixed set of real host agents (the management server's own registry
// needs its users and hosts tables; the runner only needs this much of it).
import { CimError, CimStatus, WbemConnection } from '../../../client/cim/index.js';
import { ApiError } from '../../../client/server/ApiError.js';
import { vmPath } from '../../../client/server/HostCim.js';
import type { HostDirectory, HostLogin, HostRecord } from '../../../client/server/ServerContext.js';

export class StaticHosts implements HostDirectory {
  private readonly records = new Map<string, HostRecord>();
  private readonly conns = new Map<string, WbemConnection>();

  add(name: string, url: string, group: string | null): void {
    this.records.set(name, { name, url, group });
  }

  list(): HostRecord[] {
    return [...this.records.values()];
  }

  get(name: string): HostRecord {
    const h = this.records.get(name);
    if (!h) throw ApiError.notFound(`no host named ${name}`);
    return h;
  }

  connection(name: string): WbemConnection {
    let c = this.conns.get(name);
    if (!c) {
      c = new WbemConnection(this.get(name).url, { namespace: 'root/tvdc', retries: 0, timeouts: { connect: 2_000 } });
      this.conns.set(name, c);
    }
    return c;
  }

  /** The agents here take anyone on loopback: no credentials. */
  login(name: string): HostLogin {
    return { url: this.get(name).url, user: null, password: null, ca: null };
  }

  async hostOfVm(vm: string): Promise<HostRecord> {
    for (const h of this.records.values()) {
      try {
        await this.connection(h.name).getInstance(vmPath(vm));
        return h;
      } catch (e) {
        if (!(e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND)) continue;
      }
    }
    throw ApiError.notFound(`no VM named ${vm} on any managed host`);
  }

  async hostsWithVm(vm: string, group?: string): Promise<{ found: HostRecord[]; unreachable: string[] }> {
    const found: HostRecord[] = [];
    const unreachable: string[] = [];
    for (const h of this.records.values()) {
      if (group !== undefined && h.group !== group) continue;
      try {
        await this.connection(h.name).getInstance(vmPath(vm));
        found.push(h);
      } catch (e) {
        if (!(e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND)) unreachable.push(h.name);
      }
    }
    return { found, unreachable };
  }

  async close(): Promise<void> {
    for (const c of this.conns.values()) await c.close();
    this.conns.clear();
  }
}
