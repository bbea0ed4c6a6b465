// HTTP Basic authentication (RFC 7617) against the server's users: who is calling and with which
// role. Missing or wrong credentials are refused with 401 and a WWW-Authenticate challenge.
import type { IncomingHttpHeaders } from 'node:http';
import type { Role } from './Provider.js';
import type { UserDirectory } from './UserDirectory.js';
import { WbemHttpError } from './WbemHttpError.js';

export const REALM = 'tvdc';

export interface Principal {
  user: string | null;
  role: Role;
}

function challenge(detail: string): WbemHttpError {
  return new WbemHttpError(401, detail, undefined, { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` });
}

/** The caller; without a user directory everyone is an anonymous admin (loopback-only servers). */
export async function authenticate(headers: IncomingHttpHeaders, users: UserDirectory | null | undefined): Promise<Principal> {
  if (!users) return { user: null, role: 'admin' };
  const auth = headers.authorization;
  if (!auth) throw challenge('authentication required');
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
  if (!m) throw challenge('only HTTP Basic authentication is supported');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw challenge('malformed Basic credentials');
  const user = decoded.slice(0, colon);
  const role = await users.authenticate(user, decoded.slice(colon + 1));
  if (role === null) throw challenge('invalid user name or password');
  return { user, role };
}
