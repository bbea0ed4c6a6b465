// HTTP Basic authentication (RFC 7617) against the server's users: who is calling and with which
// role, or with which grant for a one-time credential the server issued (a migration ticket).
// Missing or wrong credentials are refused with 401 and a WWW-Authenticate challenge; an address
// with too many wrong passwords lately is refused with 429 before its password is checked.
import type { IncomingHttpHeaders } from 'node:http';
import type { ActiveGrant } from './AccessGrant.js';
import type { LoginThrottle } from './LoginThrottle.js';
import { passwordMatches } from './PasswordHash.js';
import type { Role } from './Provider.js';
import { isReservedUserName, type UserDirectory } from './UserDirectory.js';
import { WbemHttpError } from './WbemHttpError.js';

export const REALM = 'tvdc';

export interface Principal {
  user: string | null;
  /** With a grant, only nominal: the grant alone says what the caller may do. */
  role: Role;
  /** Set for a one-time credential: the caller may make exactly the calls it lists. */
  grant?: ActiveGrant;
}

function challenge(detail: string): WbemHttpError {
  return new WbemHttpError(401, detail, undefined, { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` });
}

/**
 * 429 (RFC 6585) with Retry-After. DSP0200 names no CIMError value for it: like 401 it refuses
 * the caller, not the CIM request, so it carries none.
 */
function tooManyAttempts(retryAfterSeconds: number): WbemHttpError {
  return new WbemHttpError(429, `too many failed logins from this address; retry after ${retryAfterSeconds} s`, undefined, { 'Retry-After': String(retryAfterSeconds) });
}

/**
 * The caller; without a user directory everyone is an anonymous admin (loopback-only servers).
 * Wrong passwords count in `throttle` against the caller's `address`, and a refused address gets
 * 429 without its password being checked (scrypt is what a flood of guesses would cost).
 */
export async function authenticate(headers: IncomingHttpHeaders, users: UserDirectory | null | undefined, throttle: LoginThrottle, address: string): Promise<Principal> {
  if (!users) return { user: null, role: 'admin' };
  const auth = headers.authorization;
  if (!auth) throw challenge('authentication required');
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
  if (!m) throw challenge('only HTTP Basic authentication is supported');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw challenge('malformed Basic credentials');
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const r = await throttle.attempt(address, user, () => verify(users, user, password));
  if (r.outcome === 'throttled') throw tooManyAttempts(r.retryAfterSeconds);
  if (r.outcome === 'rejected') throw challenge('invalid user name or password');
  return r.value;
}

/**
 * A one-time credential first (a digest lookup, no scrypt), then the users file. A wrong, expired
 * or spent one never reaches the users file (its user name is reserved for one-time credentials:
 * no password stands for it), yet fails like any wrong password: counted by the throttle, and
 * costing the one scrypt an unknown user costs, so every failed login takes as long.
 */
async function verify(users: UserDirectory, user: string, password: string): Promise<Principal | null> {
  const grant = users.oneTime.verify(user, password);
  if (grant) return { user, role: 'read', grant };
  if (isReservedUserName(user)) {
    await passwordMatches(password, null);
    return null;
  }
  const role = await users.authenticate(user, password);
  return role === null ? null : { user, role };
}
