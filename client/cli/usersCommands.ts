// `tvdc users ...`: the management server's users and their TVDc authorizations. `users add
// --db FILE` writes the database directly, to create the first administrator of a new server.
import { ManagementServerError, openServerDb } from '../server/ManagementServer.js';
import { ApiError } from '../server/ApiError.js';
import { isRole } from '../server/ApiRouter.js';
import { UserStore, type UserInfo } from '../server/UserStore.js';
import { API_OPTIONS, ApiClient, seg } from './ApiClient.js';
import { EXIT, UsageError, expectPositional, parseOptions, printResult, printTable, readStdinLine, type Io, type Verb } from './commandKit.js';
import { requireDbDirectory } from './serverDbPath.js';

function userRows(io: Io, users: readonly UserInfo[]): void {
  printTable(io, ['USER', 'ROLE', 'TVDCS'], users.map((u) => [u.name, u.role, u.role === 'dcadmin' ? '(all)' : u.groups.join(',') || '-']));
}

/** The new user's password: TVDC_NEW_PASSWORD, else (for --db) TVDC_PASSWORD, else one line on stdin. */
function newPassword(direct: boolean): string {
  const env = process.env['TVDC_NEW_PASSWORD'] ?? (direct ? process.env['TVDC_PASSWORD'] : undefined);
  return env ?? readStdinLine('password');
}

async function add(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'role', 'db'], ['json']);
  const [name] = expectPositional(positional, 1, 'tvdc users add NAME --role dcadmin|tvdcadmin [--db FILE]');
  const role = opts.get('role');
  if (!role || !isRole(role)) throw new UsageError('--role must be dcadmin or tvdcadmin');
  const db = opts.get('db');
  let user: UserInfo;
  if (db !== undefined) {
    let password: string | undefined;
    let store;
    try {
      // Before the password is asked for: a wrong --db is known without it.
      requireDbDirectory(db);
      password = newPassword(true);
      store = openServerDb(db);
    } catch (e) {
      if (e instanceof ManagementServerError) {
        io.err(`tvdc: ${e.code}: ${e.message}`);
        return EXIT.FAILED;
      }
      throw e;
    }
    try {
      user = await new UserStore(store).add(name!, role, password);
    } catch (e) {
      if (e instanceof ApiError) {
        io.err(`tvdc: ${e.code}: ${e.message}`);
        return EXIT.FAILED;
      }
      throw e;
    } finally {
      store.close();
    }
  } else {
    const client = ApiClient.fromOptions(opts);
    user = await client.post<UserInfo>('/api/users', { name, role, password: newPassword(false) });
  }
  printResult(io, opts, user, () => io.out(`user ${user.name} added (${user.role})`));
  return EXIT.OK;
}

async function list(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  expectPositional(positional, 0, 'tvdc users list');
  const r = await ApiClient.fromOptions(opts).get<{ users: UserInfo[] }>('/api/users');
  printResult(io, opts, r, () => userRows(io, r.users));
  return EXIT.OK;
}

async function remove(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [name] = expectPositional(positional, 1, 'tvdc users remove NAME');
  const r = await ApiClient.fromOptions(opts).del<{ removed: string }>(`/api/users/${seg(name!)}`);
  printResult(io, opts, r, () => io.out(`user ${r.removed} removed`));
  return EXIT.OK;
}

async function authorize(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [name, group] = expectPositional(positional, 2, 'tvdc users authorize NAME GROUP');
  const u = await ApiClient.fromOptions(opts).put<UserInfo>(`/api/users/${seg(name!)}/groups/${seg(group!)}`);
  printResult(io, opts, u, () => io.out(`${u.name} is authorized for: ${u.groups.join(', ')}`));
  return EXIT.OK;
}

async function revoke(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [name, group] = expectPositional(positional, 2, 'tvdc users revoke NAME GROUP');
  const u = await ApiClient.fromOptions(opts).del<UserInfo>(`/api/users/${seg(name!)}/groups/${seg(group!)}`);
  printResult(io, opts, u, () => io.out(`${u.name} is authorized for: ${u.groups.join(', ') || 'no TVDc'}`));
  return EXIT.OK;
}

async function passwd(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [name] = expectPositional(positional, 1, 'tvdc users passwd NAME   (new password: TVDC_NEW_PASSWORD or one line on stdin)');
  const r = await ApiClient.fromOptions(opts).put<{ user: string }>(`/api/users/${seg(name!)}/password`, { password: newPassword(false) });
  printResult(io, opts, r, () => io.out(`password of ${r.user} changed`));
  return EXIT.OK;
}

async function whoami(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  expectPositional(positional, 0, 'tvdc users whoami');
  const u = await ApiClient.fromOptions(opts).get<{ user: string; role: UserInfo['role']; groups: string[] }>('/api/whoami');
  printResult(io, opts, u, () => userRows(io, [{ name: u.user, role: u.role, groups: u.groups }]));
  return EXIT.OK;
}

export const USERS_NOUNS: Record<string, Record<string, Verb>> = {
  users: { add, list, remove, authorize, revoke, passwd, whoami },
};
