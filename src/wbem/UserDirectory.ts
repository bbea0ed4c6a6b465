// The users a WBEM server accepts over HTTP Basic: names, scrypt password hashes and roles, read
// from a users file. Two file forms are accepted (see docs/wbem.md):
//   JSON: {"users":[{"name":"alice","role":"admin","password":"scrypt$16384$8$1$<salt b64>$<hash b64>"}]}
//   text: one `name:role:scrypt$...` per line; blank lines and lines starting with # are ignored.
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
  constructor(readonly code: 'USERS_READ' | 'USERS_SYNTAX' | 'USERS_ROLE' | 'USERS_HASH', message: string) {
    super(message);
  }
}

const ROLES: readonly Role[] = ['read', 'write', 'admin'];
/** Verified credentials kept so a keep-alive client does not pay scrypt on every request. */
const CACHE_LIMIT = 1024;

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

function parseHash(text: string, who: string): PasswordHash {
  const h = parsePasswordHash(text);
  if (h === null) throw new UserFileError('USERS_HASH', `user ${who}: password must be "scrypt$N$r$p$salt$hash" with a salt of at least 8 bytes and a hash of at least 16 (make it with tvdc-host --add-user)`);
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

  constructor(entries: readonly UserEntry[], options: { oneTime?: OneTimeCredentialsOptions } = {}) {
    this.oneTime = new OneTimeCredentials(options.oneTime);
    for (const e of entries) {
      if (!e.name || e.name.includes(':')) throw new UserFileError('USERS_SYNTAX', `user name "${e.name}" is empty or contains ":"`);
      if (!isRole(e.role)) throw new UserFileError('USERS_ROLE', `user ${e.name}: role "${e.role}" is not read, write or admin`);
      this.users.set(e.name, { entry: e, hash: parseHash(e.password, e.name) });
    }
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
      return new UserDirectory(list.map((u, i) => {
        const o = u as Record<string, unknown>;
        if (typeof o?.name !== 'string' || typeof o.role !== 'string' || typeof o.password !== 'string') {
          throw new UserFileError('USERS_SYNTAX', `${source}: user #${i + 1} needs string name, role and password`);
        }
        return { name: o.name, role: o.role as Role, password: o.password };
      }));
    }
    const entries: UserEntry[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      const l = line.trim();
      if (!l || l.startsWith('#')) return;
      const a = l.indexOf(':');
      const b = a < 0 ? -1 : l.indexOf(':', a + 1);
      if (a < 0 || b < 0) throw new UserFileError('USERS_SYNTAX', `${source}:${i + 1}: expected name:role:scrypt$...`);
      entries.push({ name: l.slice(0, a), role: l.slice(a + 1, b) as Role, password: l.slice(b + 1) });
    });
    return new UserDirectory(entries);
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
