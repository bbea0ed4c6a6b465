// The web console's anti-CSRF tokens. A browser re-sends Basic credentials on any form post, a
// forged cross-site one included; what another site cannot send is a token it cannot read. Each
// form carries HMAC-SHA256(server secret, time window + user name): it names its user, so one
// user's token is worthless for another, and it expires without any state kept per form. The
// secret is the database's own (table console_secret, migration server-3-console-secret), so a
// restart does not invalidate the forms browsers hold; it is kept sealed under the server's key
// (SecretBox), so a copy of the database alone cannot forge them.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../../src/store/Store.js';
import { scrubFreedPages, withSecureDelete } from '../plainTextScrub.js';
import { SecretBox, SecretBoxError } from '../SecretBox.js';
import { keyName, type SealingKey } from '../ServerKey.js';

/** A token is good in the window it was made in and the next one: one to two hours. */
export const TOKEN_WINDOW_MS = 3600_000;

const SECRET_BYTES = 32;
/** The additional data the secret is sealed with: it opens as nothing else, nothing else opens as it. */
const SEALED_FOR = 'console-secret';

/** The token of `user` for the time window numbered `window` (milliseconds since the epoch / TOKEN_WINDOW_MS). */
export function consoleToken(secret: Buffer, user: string, window: number): string {
  // The window is digits only, so the NUL keeps "1" + "2x" and "12" + "x" apart.
  return createHmac('sha256', secret).update(`tvdc-console-form\0${window}\0${user}`).digest('base64url');
}

/** `log` gets the one line about a stored secret sealed or replaced at start. */
export interface ConsoleTokensOptions extends SealingKey {
  /** The clock in ms since the epoch (tests); default Date.now. */
  now?: () => number;
}

export class ConsoleTokens {
  private readonly secret: Buffer;
  private readonly now: () => number;

  /**
   * Opens the stored secret; one stored in plain text (a database from before sealing) is sealed
   * in place. One that does not open with this key (another key file) is replaced by a new one:
   * the forms served before only expire, which is no reason to keep the server from starting.
   */
  constructor(private readonly db: Db, options: ConsoleTokensOptions) {
    this.now = options.now ?? Date.now;
    const log = options.log ?? (() => {});
    const key = keyName(options);
    const row = db.prepare('SELECT secret FROM console_secret WHERE id = 1').get() as { secret: unknown } | undefined;
    const stored = row?.secret;
    if (typeof stored === 'string' && SecretBox.isSealed(stored)) {
      const opened = open(options.box, stored);
      if (opened) {
        this.secret = opened;
        return;
      }
      this.secret = this.store(options.box, randomBytes(SECRET_BYTES));
      log(`console: its anti-CSRF secret does not open with ${key}: made a new one; forms served before this start are refused (reloading the page gives new ones)`);
    } else if (Buffer.isBuffer(stored) && stored.length >= SECRET_BYTES) {
      this.secret = this.store(options.box, Buffer.from(stored));
      const left = scrubFreedPages(db);
      log(`console: sealed its anti-CSRF secret, stored in plain text, with ${key}${left ? `; the database file may still hold the plain secret in unused space (${left}): run VACUUM on it while the server is stopped` : ''}`);
    } else {
      // A new database has none yet.
      this.secret = this.store(options.box, randomBytes(SECRET_BYTES));
      if (row) log(`console: its stored anti-CSRF secret is not one this server reads: made a new one; forms served before this start are refused (reloading the page gives new ones)`);
    }
  }

  /** Seals `secret` into the row (made when missing), zeroing what it replaces; returns `secret`. */
  private store(box: SecretBox, secret: Buffer): Buffer {
    const sealed = box.seal(secret.toString('base64'), SEALED_FOR);
    withSecureDelete(this.db, () => this.db.prepare('INSERT INTO console_secret (id, secret, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at')
      .run(sealed, new Date(this.now()).toISOString()));
    return secret;
  }

  private window(): number {
    return Math.floor(this.now() / TOKEN_WINDOW_MS);
  }

  /** The token the forms of a page for `user` carry in the time window numbered `window` (default: now). */
  issue(user: string, window = this.window()): string {
    return consoleToken(this.secret, user, window);
  }

  /** Whether `token` is one of `user`'s, of this window or the previous one. Compared in constant time. */
  check(user: string, token: string): boolean {
    const given = Buffer.from(token, 'utf8');
    const w = this.window();
    let ok = false;
    for (const window of [w, w - 1]) {
      const expected = Buffer.from(consoleToken(this.secret, user, window), 'utf8');
      // Every valid token has the same length, so a length mismatch tells nothing secret.
      if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
    }
    return ok;
  }
}

/** The secret sealed in `stored`, or null when this key does not open it (or what opens is no secret). */
function open(box: SecretBox, stored: string): Buffer | null {
  try {
    const secret = Buffer.from(box.open(stored, SEALED_FOR), 'base64');
    return secret.length >= SECRET_BYTES ? secret : null;
  } catch (e) {
    if (e instanceof SecretBoxError) return null;
    throw e;
  }
}
