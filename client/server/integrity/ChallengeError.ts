// What goes wrong challenging a host over CIM, short of a verdict: the host could not be reached,
// refused the call, answered something that is not a usable GetQuote result, or cannot be judged
// because no trust anchor is registered for it. An attestation that meets one is `failed`.
import { CimError } from '../../../src/cim/CimError.js';
import { ClientError } from '../../cim/index.js';
import { refusedLogin } from '../hostFailure.js';

export type ChallengeErrorCode =
  | 'HOST_UNREACHABLE' // connection refused, reset, timed out, TLS
  | 'HOST_REFUSED' // a CIM error, an HTTP 401/403, or a non-zero return value
  | 'BAD_ANSWER' // the answer lacks an output, or an output has the wrong form
  | 'NO_TRUST_ANCHOR'; // no dcadmin registered the host's CA certificates

export class ChallengeError extends Error {
  override readonly name = 'ChallengeError';
  constructor(
    readonly code: ChallengeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Classifies whatever a CIM call to `host` threw. */
  static from(e: unknown, host: string, call: string): ChallengeError {
    if (e instanceof ChallengeError) return e;
    if (e instanceof CimError) return new ChallengeError('HOST_REFUSED', `host ${host} refused ${call}: ${e.message}`, { cause: e });
    if (e instanceof ClientError) {
      const refused = refusedLogin(e) || e.code === 'HTTP_STATUS' || e.code === 'PROTOCOL';
      const parse = e.code === 'RESPONSE_PARSE' || e.code === 'BAD_CONTENT_TYPE';
      const code = refused ? 'HOST_REFUSED' : parse ? 'BAD_ANSWER' : 'HOST_UNREACHABLE';
      return new ChallengeError(code, `host ${host}, ${call}: ${e.message}`, { cause: e });
    }
    return new ChallengeError('BAD_ANSWER', `host ${host}, ${call}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}
