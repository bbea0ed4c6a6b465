// The central users table: who may use the management server, with which role, and which TVDcs
// each TVDc Administrator is authorized for (the paper's step 5). Also the server's Authenticator.
import type { Db } from '../../src/store/Store.js';
import { ApiError } from './ApiError.js';
import type { Authenticator, Principal, Role } from './ApiRouter.js';
import { isRole } from './ApiRouter.js';
import { credentialKey, hashPassword, parsePasswordHash, passwordMatches } from '../../src/wbem/PasswordHash.js';

export interface UserInfo {
  name: string;
  role: Role;
  groups: string[];
}

/** User names appear in URLs, tables and Basic credentials: keep them plain. */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Verified credentials kept so a keep-alive client does not pay scrypt on every request. */
const CACHE_LIMIT = 1024;

export function checkUserName(name: unknown): string {
  if (typeof name !== 'string' || !USER_NAME.test(name)) {
    throw ApiError.badRequest(`user name must be 1-64 letters, digits, ".", "_", "@" or "-" (starting with a letter or digit), not ${JSON.stringify(name)}`);
  }
  return name;
}

export function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < 8 || password.length > 1024) {
    throw ApiError.badRequest('password must be a string of 8 to 1024 characters');
  }
  return password;
}

export class UserStore implements Authenticator {
  /** Cache key (user, password digest, stored hash) -> true; a changed or removed user misses. */
  private readonly verified = new Set<string>();

  constructor(private readonly db: Db) {}

  async add(name: string, role: Role, password: string): Promise<UserInfo> {
    checkUserName(name);
    if (!isRole(role)) throw ApiError.badRequest(`role must be dcadmin or tvdcadmin, not ${JSON.stringify(role)}`);
    checkPassword(password);
    if (this.find(name)) throw ApiError.conflict(`user ${name} already exists`);
    const hash = await hashPassword(password);
    this.db.prepare('INSERT INTO users (name, role, password, created_at) VALUES (?, ?, ?, ?)').run(name, role, hash, new Date().toISOString());
    return this.get(name);
  }

  async setPassword(name: string, password: string): Promise<void> {
    this.get(name);
    checkPassword(password);
    this.db.prepare('UPDATE users SET password = ? WHERE name = ?').run(await hashPassword(password), name);
  }

  list(): UserInfo[] {
    const rows = this.db.prepare('SELECT name, role FROM users ORDER BY name').all() as { name: string; role: Role }[];
    return rows.map((r) => ({ name: r.name, role: r.role, groups: this.groupsOf(r.name) }));
  }

  find(name: string): UserInfo | null {
    const row = this.db.prepare('SELECT name, role FROM users WHERE name = ?').get(name) as { name: string; role: Role } | undefined;
    return row ? { name: row.name, role: row.role, groups: this.groupsOf(row.name) } : null;
  }

  get(name: string): UserInfo {
    const u = this.find(name);
    if (!u) throw ApiError.notFound(`no user named ${name}`);
    return u;
  }

  remove(name: string): void {
    this.get(name);
    this.db.prepare('DELETE FROM users WHERE name = ?').run(name);
  }

  /** Lets a TVDc Administrator manage `group` (the paper's step 5). */
  authorize(name: string, group: string): UserInfo {
    const u = this.get(name);
    if (u.role !== 'tvdcadmin') throw ApiError.conflict(`${name} is a ${u.role}; only a tvdcadmin is authorized per TVDc`);
    if (!this.db.prepare('SELECT 1 FROM tvdc_groups WHERE name = ?').get(group)) throw ApiError.notFound(`no TVDc named ${group}`);
    this.db.prepare('INSERT OR IGNORE INTO user_groups (user, grp) VALUES (?, ?)').run(name, group);
    return this.get(name);
  }

  revoke(name: string, group: string): UserInfo {
    this.get(name);
    const r = this.db.prepare('DELETE FROM user_groups WHERE user = ? AND grp = ?').run(name, group);
    if (r.changes === 0) throw ApiError.notFound(`${name} is not authorized for ${group}`);
    return this.get(name);
  }

  /** The TVDc Administrators authorized for `group`, by name. */
  administratorsOf(group: string): string[] {
    return (this.db.prepare('SELECT user FROM user_groups WHERE grp = ? ORDER BY user').all(group) as { user: string }[]).map((r) => r.user);
  }

  private groupsOf(name: string): string[] {
    return (this.db.prepare('SELECT grp FROM user_groups WHERE user = ? ORDER BY grp').all(name) as { grp: string }[]).map((r) => r.grp);
  }

  async authenticate(user: string, password: string): Promise<Principal | null> {
    const row = this.db.prepare('SELECT name, role, password FROM users WHERE name = ?').get(user) as { name: string; role: Role; password: string } | undefined;
    if (!row) {
      // An unknown user still costs one scrypt, so timing does not tell which names exist.
      await passwordMatches(password, null);
      return null;
    }
    // The stored hash is part of the key, so a changed password drops the cached success.
    const key = credentialKey(row.name, `${password}\0${row.password}`);
    if (!this.verified.has(key)) {
      if (!(await passwordMatches(password, parsePasswordHash(row.password)))) return null;
      if (this.verified.size >= CACHE_LIMIT) this.verified.delete(this.verified.values().next().value!);
      this.verified.add(key);
    }
    // Role and groups are read on every request, so a revoke takes effect at once.
    return { user: row.name, role: row.role, groups: row.role === 'tvdcadmin' ? this.groupsOf(row.name) : [] };
  }
}
