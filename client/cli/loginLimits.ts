// The command-line limits on failed logins, `--login-failures N` and `--login-block SECONDS`, read
// the same way by tvdc-host and tvdc server. Throttling cannot be turned off: 0 is refused like
// any other value out of range.
import type { LoginThrottleOptions } from '../../src/wbem/LoginThrottle.js';
import { UsageError } from './commandKit.js';

const LOGIN_FAILURES = { min: 1, max: 1000 } as const;
const LOGIN_BLOCK_SECONDS = { min: 1, max: 86_400 } as const;

function whole(flag: string, text: string, range: { min: number; max: number }, unit: string, zero: string): number {
  const n = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (n >= range.min && n <= range.max) return n;
  throw new UsageError(`${flag} must be a whole number ${unit}from ${range.min} to ${range.max}, not "${text}"${n === 0 ? `; ${zero}` : ''}`);
}

/**
 * The throttle's options for the flags given (undefined: not given, the default stands); a bad
 * value throws a UsageError with the reason.
 * `--login-block` is both how long an address is refused and the window its failures are counted
 * in, so one figure says "N failures within S seconds cost S seconds".
 */
export function loginLimits(failures: string | undefined, blockSeconds: string | undefined): Pick<LoginThrottleOptions, 'maxFailures' | 'windowMs' | 'blockMs'> {
  const out: Pick<LoginThrottleOptions, 'maxFailures' | 'windowMs' | 'blockMs'> = {};
  if (failures !== undefined) {
    out.maxFailures = whole('--login-failures', failures, LOGIN_FAILURES, '', 'failed logins are always limited');
  }
  if (blockSeconds !== undefined) {
    const ms = whole('--login-block', blockSeconds, LOGIN_BLOCK_SECONDS, 'of seconds ', 'a refused address is always refused for a while') * 1000;
    out.windowMs = ms;
    out.blockMs = ms;
  }
  return out;
}
