// Credentials the server issues itself, each standing for one AccessGrant: a random secret (256
// bits, base64url) for a fixed user name, kept in memory only (a restart forgets them), bounded in
// number, expiring, and spent by the first call of the grant's `usesUp` method. Only a digest of
// each secret is kept, so the book itself holds nothing a memory dump could replay.
//
//   const { secret, expires } = book.issue('tvdc-migration', grant, 300_000);
//   book.verify('tvdc-migration', secret)   // -> ActiveGrant, or null when unknown, expired or spent
import { randomBytes } from 'node:crypto';
import type { AccessGrant, ActiveGrant } from './AccessGrant.js';
import { credentialKey } from './PasswordHash.js';

export interface OneTimeCredentialsOptions {
  /** Credentials outstanding at a time (default 256); issuing beyond that is refused. */
  maxOutstanding?: number;
  /**
   * Credentials one issuer (the user who asked for them) may have outstanding (default 32), so
   * that one login cannot take every slot and starve everyone else's until they expire.
   */
  maxPerIssuer?: number;
  /** The clock in ms since the epoch (tests); default Date.now. */
  now?: () => number;
}

export interface IssuedCredential {
  user: string;
  secret: string;
  expires: Date;
}

export class OneTimeCredentialsError extends Error {
  override readonly name = 'OneTimeCredentialsError';
  constructor(readonly code: 'CREDENTIALS_FULL' | 'CREDENTIALS_VALIDITY', message: string) {
    super(message);
  }
}

interface Entry {
  grant: AccessGrant;
  expiresAt: number;
  /** Who asked for it; null on a server without users (then everyone is the same issuer). */
  issuer: string | null;
}

/** 32 random bytes: 256 bits, as the length of a base64url secret (43 characters). */
const SECRET_BYTES = 32;

export class OneTimeCredentials {
  private readonly entries = new Map<string, Entry>();
  private readonly max: number;
  private readonly maxPerIssuer: number;
  private readonly now: () => number;

  constructor(options: OneTimeCredentialsOptions = {}) {
    this.max = options.maxOutstanding ?? 256;
    this.maxPerIssuer = options.maxPerIssuer ?? 32;
    this.now = options.now ?? Date.now;
  }

  /**
   * A new secret for `user` standing for `grant`, valid `validMs` from now, asked for by
   * `issuer`. Refused (CREDENTIALS_FULL) while `maxOutstanding` are outstanding, or
   * `maxPerIssuer` of that issuer's: dropping an older one instead would break whatever it was
   * issued for.
   */
  issue(user: string, grant: AccessGrant, validMs: number, issuer: string | null = null): IssuedCredential {
    if (!Number.isFinite(validMs) || validMs <= 0) throw new OneTimeCredentialsError('CREDENTIALS_VALIDITY', `a credential must be valid for a positive time, not ${validMs} ms`);
    this.purge();
    if (this.entries.size >= this.max) {
      const soonest = Math.min(...[...this.entries.values()].map((e) => e.expiresAt));
      throw new OneTimeCredentialsError('CREDENTIALS_FULL', `${this.entries.size} one-time credentials are outstanding, the most this server keeps; the next expires in ${this.secondsUntil(soonest)} s`);
    }
    const own = [...this.entries.values()].filter((e) => e.issuer === issuer);
    if (own.length >= this.maxPerIssuer) {
      const soonest = Math.min(...own.map((e) => e.expiresAt));
      throw new OneTimeCredentialsError('CREDENTIALS_FULL', `${own.length} one-time credentials issued to ${issuer ?? 'the anonymous user'} are outstanding, the most one user may hold; the next expires in ${this.secondsUntil(soonest)} s`);
    }
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    const expiresAt = this.now() + validMs;
    this.entries.set(credentialKey(user, secret), { grant, expiresAt, issuer });
    return { user, secret, expires: new Date(expiresAt) };
  }

  /** The grant `secret` stands for, or null when it is unknown, expired or spent. */
  verify(user: string, secret: string): ActiveGrant | null {
    const key = credentialKey(user, secret);
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return null;
    }
    return { ...entry.grant, useUp: () => this.spend(key, entry) };
  }

  /** Removes the credential if it is still the one verified and has not expired since. */
  private spend(key: string, entry: Entry): boolean {
    if (this.entries.get(key) !== entry) return false;
    this.entries.delete(key);
    return entry.expiresAt > this.now();
  }

  private secondsUntil(at: number): number {
    return Math.max(1, Math.ceil((at - this.now()) / 1000));
  }

  private purge(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
}
