// What a failed CIM call to a host means for an API caller: the host could not be reached
// (transport, TLS, timeout) or it answered and refused (a CIM error, or the credentials).
import { CimError, ClientError } from '../cim/index.js';
import { ApiError } from './ApiError.js';

/** The ApiError for a CIM failure talking to `host` (null: unnamed), or null when `e` is not one. */
export function hostFailure(host: string | null, e: unknown): ApiError | null {
  if (e instanceof ApiError) return e;
  const prefix = host ? `host ${host}: ` : '';
  if (e instanceof CimError) return ApiError.hostRefused(prefix + e.message);
  if (e instanceof ClientError && refusedLogin(e)) return ApiError.hostRefused(`${prefix}${e.message} (check the credentials stored for the host)`);
  if (e instanceof ClientError) return ApiError.hostUnreachable(prefix + e.message);
  return null;
}

/**
 * The host answered but refused the credentials it was given (or, after too many wrong ones from
 * this server's address, refuses its logins for a while): a refusal, not an unreachable host.
 */
export function refusedLogin(e: ClientError): boolean {
  return e.code === 'AUTH_REQUIRED' || e.code === 'FORBIDDEN' || e.code === 'TOO_MANY_ATTEMPTS';
}

/** Runs `call` against `host`, turning CIM and transport failures into ApiErrors. */
export async function onHost<T>(host: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw hostFailure(host, e) ?? e;
  }
}
