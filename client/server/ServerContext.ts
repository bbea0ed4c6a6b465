// What every part of the management server is given: the central database, the hosts it manages
// (reached only over CIM), the server log and its audit trail. A ServerModule adds its API routes with these.
import type { WbemConnection } from '../cim/index.js';
import type { Db } from '../../src/store/Store.js';
import type { ApiRouter } from './ApiRouter.js';
import type { NewAuditEntry } from './AuditTrail.js';

export interface HostRecord {
  name: string;
  /** The host agent's WBEM URL, e.g. `https://10.0.0.5:5989`. */
  url: string;
  /** The TVDc (group) the host belongs to, if any. */
  group: string | null;
}

export interface HostLogin {
  url: string;
  user: string | null;
  password: string | null;
  ca: string | null;
}

export interface HostDirectory {
  list(): HostRecord[];
  /** ApiError 404 NOT_FOUND when unknown. */
  get(name: string): HostRecord;
  /** A connection to namespace root/tvdc with the host's stored credentials. */
  connection(name: string): WbemConnection;
  /**
   * The host's URL and stored credentials, for a host that must call another on the server's
   * behalf (a migration's destination); never for an answer. ApiError NOT_FOUND for an unknown
   * host, HOST_UNREACHABLE when its password cannot be decrypted.
   */
  login(name: string): HostLogin;
  /** Asks the hosts (those of `group` when given) which one has the VM; ApiError 404 if none does, 409 if several do. */
  hostOfVm(vm: string, group?: string): Promise<HostRecord>;
  /** Every host (of `group` when given) that has the VM, and those that could not be asked. */
  hostsWithVm(vm: string, group?: string): Promise<{ found: HostRecord[]; unreachable: string[] }>;
}

export interface ServerModule {
  name: string;
  /** Adds routes; may start background work (schedules); returns what stops it. */
  register(router: ApiRouter, ctx: ServerContext): void | (() => Promise<void>);
}

export interface ServerContext {
  db: Db;
  hosts: HostDirectory;
  log(line: string): void;
  /** Records a change made through the server in the audit trail, and writes its message to the log. */
  audit(entry: NewAuditEntry): void;
}
