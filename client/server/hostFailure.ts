// What a failed CIM call to a host means for an API caller: the host could not be reached
// (transport, TLS, timeout) or it answered and refused (a CIM error, or the credentials).
import { CimError, ClientError, TimeoutError } from '../cim/index.js';
import { ApiError } from './ApiError.js';

/** The ApiError for a CIM failure talking to `host` (null: unnamed), or null when `e` is not one. */
export function hostFailure(host: string | null, e: unknown): ApiError | null {
  if (e instanceof ApiError) return e;
  const prefix = host ? `host ${host}: ` : '';
  if (e instanceof CimError) return ApiError.hostRefused(prefix + e.message);
  // The host took the request and did not finish its answer in time: whatever it was asked to do
  // may have happened, so this is no "unreachable".
  if (e instanceof TimeoutError && e.phase === 'total') {
    return ApiError.hostTimeout(`${host ? `host ${host}` : 'the host'} (${e.target}) did not finish its answer within ${seconds(e.timeoutMs)} (it answers too slowly or hangs while answering); the outcome of the operation is unknown`);
  }
  if (e instanceof ClientError && refusedLogin(e)) return ApiError.hostRefused(prefix + hostClientMessage(e, 'stored', host));
  if (e instanceof ClientError) return ApiError.hostUnreachable(prefix + hostClientMessage(e, 'stored', host));
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

/**
 * A CIM client error from a host, with the hint its reader can act on: the management server's
 * users mend a host's TLS and login with the hosts commands' options, not a CIM client's. `given`:
 * the credentials came with this request (hosts add, discover, credentials); `stored`: the server
 * used those it keeps for the host.
 */
export function hostClientMessage(e: ClientError, credentials: 'given' | 'stored', host: string | null = null): string {
  const given = credentials === 'given';
  const mend = `tvdc hosts credentials ${host ?? 'HOST'}`;
  if (e.code === 'TLS') return e.messageWith(given ? "give the host's CA with --host-cacert FILE" : `give the host's CA with ${mend} --host-cacert FILE`);
  if (e.code === 'AUTH_REQUIRED') {
    return e.messageWith(given ? "give the host's user and password with --host-user and --host-password" : `check the credentials stored for the host (${mend} --host-user U --host-password P)`);
  }
  if (!given && refusedLogin(e)) return `${e.message} (check the credentials stored for the host)`;
  return e.message;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
