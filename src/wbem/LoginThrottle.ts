// Failed logins counted per client address, so that neither password guessing nor the scrypt each
// guess costs can be had at the rate a server answers. The host agent's WBEM server and the
// management server both check passwords through one of these; it knows addresses and outcomes,
// nothing of HTTP or of users.
//
//   const throttle = new LoginThrottle({ maxFailures: 10, windowMs: 60_000 });
//   const r = await throttle.attempt(address, name, () => users.authenticate(name, password));
//   if (r.outcome === 'throttled') ... 429 with `Retry-After: ${r.retryAfterSeconds}`
//
// Refused per address only, never per user name: a lock-out by name would let anyone lock the
// administrator out. The name only decides what a success forgives: the failures made under that
// same name, never those under others, so one valid account does not buy unlimited guesses at
// everyone else's password.
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LoginThrottleOptions {
  /** Failed logins per address and window; reaching it refuses the address (default 10). */
  maxFailures?: number;
  /** The window failures are counted in, opened by an address's first failure (default 60 s). */
  windowMs?: number;
  /** How long an address is refused once it reached maxFailures (default windowMs). */
  blockMs?: number;
  /**
   * Addresses followed at a time (default 10,000); a new one beyond that pushes out the least
   * recently seen address that is not refused. While every followed address is refused, a new one
   * is refused too, until the first refusal ends.
   */
  maxAddresses?: number;
  /**
   * User names whose failures are told apart per address (default 16). Failures under further
   * names still count towards the limit; a success under such a name just clears none of them.
   */
  maxNamesPerAddress?: number;
  /** Attempts of one address waiting for a verification slot (default 64); more are refused at once. */
  maxWaiting?: number;
  /** The clock in ms (tests); by default a monotonic one, so that setting the system time neither lifts nor prolongs a refusal. */
  now?: () => number;
  /** Called once each time an address is refused for reaching its limit: the server's one log line for it. */
  onBlock?: (address: string, failures: number, retryAfterSeconds: number) => void;
}

export type LoginAttempt<T> =
  | { outcome: 'accepted'; value: T }
  | { outcome: 'rejected' }
  | { outcome: 'throttled'; retryAfterSeconds: number };

interface Entry {
  /** Failures in the current window, under any name. */
  failures: number;
  /** Of those, the failures under each of at most maxNamesPerAddress names (by digest). */
  byName: Map<string, number>;
  /** When the first failure of the current window came. */
  windowStart: number;
  /** Refused until then; 0 when not refused. */
  blockedUntil: number;
  /** Verifications running now. */
  pending: number;
  /** Attempts waiting for a verification slot. */
  waiters: (() => void)[];
}

const REJECTED = Object.freeze({ outcome: 'rejected' as const });

/**
 * The key an address is counted under: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64, since
 * one subscriber commonly holds a whole /64 and could otherwise take a fresh address per guess.
 */
export function addressKey(address: string): string {
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  const zone = address.indexOf('%');
  const a = zone >= 0 ? address.slice(0, zone) : address;
  if (!isIPv6(a)) return address;
  const gap = a.indexOf('::');
  const head = (gap >= 0 ? a.slice(0, gap) : a).split(':').filter((g) => g !== '');
  const tail = gap >= 0 ? a.slice(gap + 2).split(':').filter((g) => g !== '') : [];
  // An embedded IPv4 tail stands for two groups.
  const width = (gs: string[]) => gs.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const groups = gap >= 0 ? [...head, ...new Array<string>(Math.max(0, 8 - width(head) - width(tail))).fill('0'), ...tail] : head;
  return groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':') + '::/64';
}

function positiveInteger(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`LoginThrottle: ${name} must be a positive integer, not ${v}`);
  return v;
}

export class LoginThrottle {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly blockMs: number;
  private readonly maxAddresses: number;
  private readonly maxWaiting: number;
  private readonly maxNames: number;
  private readonly now: () => number;
  private readonly onBlock: LoginThrottleOptions['onBlock'];
  /** In order of last activity, least recent first: the first is the one to forget when full. */
  private readonly entries = new Map<string, Entry>();

  constructor(options: LoginThrottleOptions = {}) {
    this.maxFailures = positiveInteger('maxFailures', options.maxFailures, 10);
    this.windowMs = positiveInteger('windowMs', options.windowMs, 60_000);
    this.blockMs = positiveInteger('blockMs', options.blockMs, this.windowMs);
    this.maxAddresses = positiveInteger('maxAddresses', options.maxAddresses, 10_000);
    this.maxWaiting = positiveInteger('maxWaiting', options.maxWaiting, 64);
    this.maxNames = positiveInteger('maxNamesPerAddress', options.maxNamesPerAddress, 16);
    this.now = options.now ?? (() => performance.now());
    this.onBlock = options.onBlock;
  }

  /** Addresses followed now (never more than maxAddresses). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `verify` (the password check: null when wrong) for a login as `user` from `address`,
   * unless the address is refused: then `verify` is not run at all. A failure counts against the
   * address; a success takes back only the failures under `user`. At most as many verifications of one
   * address run at once as it has failures left in its window, so a burst of parallel guesses
   * cannot get past the limit before the first of them has failed; the others wait their turn.
   */
  async attempt<T>(address: string, user: string, verify: () => Promise<T | null>): Promise<LoginAttempt<T>> {
    const key = addressKey(address);
    const name = nameKey(user);
    for (;;) {
      const now = this.now();
      const e = this.current(key, now);
      if (e && e.blockedUntil > now) return throttled(e.blockedUntil - now);
      if (e && e.pending > 0 && e.failures + e.pending >= this.maxFailures) {
        if (e.waiters.length >= this.maxWaiting) return throttled(1000);
        await new Promise<void>((resolve) => e.waiters.push(resolve));
        continue;
      }
      const entry = e ?? this.create(key, now);
      if (typeof entry === 'number') return throttled(entry);
      entry.pending++;
      let value: T | null;
      try {
        value = await verify();
      } catch (err) {
        // A check that could not be made is no wrong password.
        entry.pending--;
        wake(entry);
        throw err;
      }
      entry.pending--;
      if (value === null) this.failed(key, name, entry);
      else this.succeeded(key, name, entry);
      wake(entry);
      return value === null ? REJECTED : { outcome: 'accepted', value };
    }
  }

  /** The address's entry with an ended window or block cleared, moved to the most recent end. */
  private current(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.blockedUntil !== 0) {
      if (e.blockedUntil <= now) {
        e.blockedUntil = 0;
        e.failures = 0;
        e.byName.clear();
      }
    } else if (e.failures > 0 && now - e.windowStart >= this.windowMs) {
      e.failures = 0;
      e.byName.clear();
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  /**
   * A new entry for `key`, making room by forgetting the least recently seen address that is
   * neither refused nor being checked: forgetting a refused one would lift its refusal early, and
   * one being checked would lose the failure about to be counted. When none can go, the ms until
   * the first refusal ends, and the new address waits that long.
   */
  private create(key: string, now: number): Entry | number {
    if (this.entries.size >= this.maxAddresses) {
      let soonest = Infinity;
      let victim: string | undefined;
      for (const [k, e] of this.entries) {
        if (e.pending === 0 && e.blockedUntil <= now) {
          victim = k;
          break;
        }
        if (e.blockedUntil > now) soonest = Math.min(soonest, e.blockedUntil - now);
      }
      // Every slot is being checked right now (no refusal to wait out): a second is enough.
      if (victim === undefined) return soonest === Infinity ? 1000 : soonest;
      this.entries.delete(victim);
    }
    const e: Entry = { failures: 0, byName: new Map(), windowStart: 0, blockedUntil: 0, pending: 0, waiters: [] };
    this.entries.set(key, e);
    return e;
  }

  /** Counts a failure under `name` on the address's entry, which its pending check kept followed. */
  private failed(key: string, name: string, entry: Entry): void {
    const now = this.now();
    const e = this.current(key, now) ?? entry;
    if (!this.entries.has(key)) this.entries.set(key, e);
    if (e.blockedUntil !== 0) return;
    if (e.failures === 0) e.windowStart = now;
    e.failures++;
    const under = e.byName.get(name);
    if (under !== undefined || e.byName.size < this.maxNames) e.byName.set(name, (under ?? 0) + 1);
    if (e.failures >= this.maxFailures) {
      e.blockedUntil = now + this.blockMs;
      try {
        this.onBlock?.(key, e.failures, seconds(this.blockMs));
      } catch {
        // A log that fails is no reason to fail the login check.
      }
    }
  }

  /** Takes back the failures made under `name`; an address left with none is forgotten. */
  private succeeded(key: string, name: string, entry: Entry): void {
    const e = this.current(key, this.now()) ?? entry;
    const under = e.byName.get(name);
    if (under !== undefined) {
      e.failures -= under;
      e.byName.delete(name);
    }
    if (e.failures === 0 && e.blockedUntil === 0 && e.pending === 0 && e.waiters.length === 0) this.entries.delete(key);
  }
}

/**
 * A user name as counted: a fixed-size digest, so that names of any length (they come from the
 * client) cost the same few bytes in each address's map.
 */
function nameKey(user: string): string {
  return createHash('sha256').update(user, 'utf8').digest('base64').slice(0, 22);
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function throttled(ms: number): LoginAttempt<never> {
  return { outcome: 'throttled', retryAfterSeconds: seconds(ms) };
}

/** Lets every waiting attempt look again: a slot may be free, or the address refused by now. */
function wake(e: Entry): void {
  if (e.waiters.length === 0) return;
  const waiting = e.waiters.splice(0);
  for (const resolve of waiting) resolve();
}
