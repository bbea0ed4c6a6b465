// The users a WBEM server accepts over HTTP Basic: names, scrypt password hashes and roles, read
// from a users file. Two file forms are accepted (see docs/wbem.md):
//   JSON: {"users":[{"name":"alice","role":"admin","password":"scrypt$16384$8$1$<salt b64>$<hash b64>"}]}
//   text: one `name:role:scrypt$...` per line; blank lines and lines starting with # are ignored.
// The names the server's own one-time credentials log in under are reserved: no file defines them.
import { readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { credentialKey, hashPassword, parsePasswordHash, passwordMatches, type PasswordHash } from './PasswordHash.js';
import type { Role } from './Provider.js';
import { OneTimeCredentials, type OneTimeCredentialsOptions } from './OneTimeCredentials.js';

export interface UserEntry {
  name: string;
  role: Role;
  /** `scrypt$N$r$p$salt$hash`, salt and hash base64. */
  password: string;
}

export class UserFileError extends Error {
  override readonly name = 'UserFileError';
  constructor(readonly code: 'USERS_READ' | 'USERS_SYNTAX' | 'USERS_ROLE' | 'USERS_HASH' | 'USERS_RESERVED', message: string) {
    super(message);
  }
}

const ROLES: readonly Role[] = ['read', 'write', 'admin'];
/** Verified credentials kept so a keep-alive client does not pay scrypt on every request. */
const CACHE_LIMIT = 1024;

/** The user name every migration ticket (a one-time credential) is presented under. */
export const MIGRATION_TICKET_USER = 'tvdc-migration';

/**
 * Names no users file may define, in any case: one-time credentials log in under them, and a
 * password for one would be a way in under that name that no ticket stands for.
 */
const RESERVED_USER_NAMES: readonly string[] = [MIGRATION_TICKET_USER];

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

export function isReservedUserName(name: string): boolean {
  return RESERVED_USER_NAMES.includes(name.toLowerCase());
}

/** Why `name` cannot be a user's name, or null when it can. */
export function userNameProblem(name: string): { code: 'USERS_SYNTAX' | 'USERS_RESERVED'; message: string } | null {
  if (!name || name.includes(':')) return { code: 'USERS_SYNTAX', message: `user name "${name}" is empty or contains ":"` };
  if (isReservedUserName(name)) {
    return { code: 'USERS_RESERVED', message: `user name "${name}" is reserved: migration tickets log in as ${MIGRATION_TICKET_USER}, so no users file may define it; rename this user` };
  }
  return null;
}

/**
 * The entry's password hash; UserFileError naming `where` (the entry's place in its file, or
 * `user NAME`) when the entry cannot be a user.
 */
function checkEntry(e: UserEntry, where: string): PasswordHash {
  const bad = userNameProblem(e.name);
  if (bad) throw new UserFileError(bad.code, `${where}: ${bad.message}`);
  if (!isRole(e.role)) throw new UserFileError('USERS_ROLE', `${where}: role "${e.role}" is not read, write or admin`);
  const h = parsePasswordHash(e.password);
  if (h === null) throw new UserFileError('USERS_HASH', `${where}: password must be "scrypt$N$r$p$salt$hash" with a salt of at least 8 bytes and a hash of at least 16 (make it with tvdc-host --add-user)`);
  return h;
}

export class UserDirectory {
  private readonly users = new Map<string, { entry: UserEntry; hash: PasswordHash }>();
  private readonly verified = new Map<string, Role>();
  /**
   * Credentials the server issues itself for one narrow purpose (a migration ticket), checked
   * beside the file's users (BasicAuth) and never cached with them: each request presents its own.
   */
  readonly oneTime: OneTimeCredentials;

  /** `origins[i]`: where entry i came from, for errors (`users.txt:3:1`); `user NAME` when not given. */
  constructor(entries: readonly UserEntry[], options: { oneTime?: OneTimeCredentialsOptions; origins?: readonly string[] } = {}) {
    this.oneTime = new OneTimeCredentials(options.oneTime);
    entries.forEach((e, i) => {
      const hash = checkEntry(e, options.origins?.[i] ?? `user ${e.name}`);
      this.users.set(e.name, { entry: e, hash });
    });
  }

  get size(): number {
    return this.users.size;
  }

  entries(): UserEntry[] {
    return [...this.users.values()].map((u) => u.entry);
  }

  /** Parses a users file's text (JSON or the line form). */
  static parse(text: string, source = 'users file'): UserDirectory {
    const t = text.trim();
    if (t.startsWith('{') || t.startsWith('[')) {
      let doc: unknown;
      try {
        doc = JSON.parse(t);
      } catch (e) {
        throw new UserFileError('USERS_SYNTAX', `${source}: not valid JSON: ${(e as Error).message}`);
      }
      const list = Array.isArray(doc) ? doc : (doc as { users?: unknown }).users;
      if (!Array.isArray(list)) throw new UserFileError('USERS_SYNTAX', `${source}: expected {"users":[...]}`);
      const entries = list.map((u, i): UserEntry => {
        const o = u as Record<string, unknown>;
        if (typeof o?.name !== 'string' || typeof o.role !== 'string' || typeof o.password !== 'string') {
          throw new UserFileError('USERS_SYNTAX', `${source}: user #${i + 1} needs string name, role and password`);
        }
        return { name: o.name, role: o.role as Role, password: o.password };
      });
      return new UserDirectory(entries, { origins: entries.map((e, i) => `${source}: user #${i + 1} (${JSON.stringify(e.name)})`) });
    }
    const entries: UserEntry[] = [];
    const origins: string[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      const l = line.trim();
      if (!l || l.startsWith('#')) return;
      const a = l.indexOf(':');
      const b = a < 0 ? -1 : l.indexOf(':', a + 1);
      if (a < 0 || b < 0) throw new UserFileError('USERS_SYNTAX', `${source}:${i + 1}: expected name:role:scrypt$...`);
      entries.push({ name: l.slice(0, a), role: l.slice(a + 1, b) as Role, password: l.slice(b + 1) });
      // The column of the entry's first character (the name), counted from 1.
      origins.push(`${source}:${i + 1}:${line.length - line.trimStart().length + 1}`);
    });
    return new UserDirectory(entries, { origins });
  }

  static load(file: string): UserDirectory {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UserFileError('USERS_READ', `cannot read users file ${file}: ${(e as Error).message}`);
    }
    return UserDirectory.parse(text, file);
  }

  /** Adds or replaces a user in the JSON users file `file` (created when missing), atomically. */
  static async addUserToFile(file: string, name: string, role: Role, password: string): Promise<void> {
    const bad = userNameProblem(name);
    if (bad) throw new UserFileError(bad.code, `cannot add to ${file}: ${bad.message}`);
    const current = existsSync(file) ? UserDirectory.load(file).entries().filter((e) => e.name !== name) : [];
    const next = new UserDirectory([...current, { name, role, password: await hashPassword(password) }]);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ users: next.entries() }, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, file);
  }

  /** The user's role when the password matches, else null. Constant-time on the hash compare. */
  async authenticate(name: string, password: string): Promise<Role | null> {
    const u = this.users.get(name);
    const cacheKey = credentialKey(name, password);
    const cached = this.verified.get(cacheKey);
    if (cached && u) return cached;
    // An unknown user still costs one scrypt (passwordMatches), so timing does not tell which names exist.
    if (!(await passwordMatches(password, u?.hash ?? null)) || !u) return null;
    if (this.verified.size >= CACHE_LIMIT) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(cacheKey, u.entry.role);
    return u.entry.role;
  }
}
