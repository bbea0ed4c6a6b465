// The web console's anti-CSRF tokens. A browser re-sends Basic credentials on any form post, a
// forged cross-site one included; what another site cannot send is a token it cannot read. Each
// form carries HMAC-SHA256(server secret, time window + user name): it names its user, so one
// user's token is worthless for another, and it expires without any state kept per form. The
// secret is the database's own (table console_secret, migration server-3-console-secret), so a
// restart does not invalidate the forms browsers hold.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../../src/store/Store.js';

/** A token is good in the window it was made in and the next one: one to two hours. */
export const TOKEN_WINDOW_MS = 3600_000;

/** The token of `user` for the time window numbered `window` (milliseconds since the epoch / TOKEN_WINDOW_MS). */
export function consoleToken(secret: Buffer, user: string, window: number): string {
  // The window is digits only, so the NUL keeps "1" + "2x" and "12" + "x" apart.
  return createHmac('sha256', secret).update(`tvdc-console-form\0${window}\0${user}`).digest('base64url');
}

export class ConsoleTokens {
  private readonly secret: Buffer;

  constructor(db: Db, private readonly now: () => number = Date.now) {
    this.secret = ConsoleTokens.secretOf(db);
  }

  /** The key kept in the database. */
  static secretOf(db: Db): Buffer {
    const row = db.prepare('SELECT secret FROM console_secret WHERE id = 1').get() as { secret: Buffer } | undefined;
    if (!row || !Buffer.isBuffer(row.secret) || row.secret.length < 32) throw new Error('the console_secret table holds no usable key');
    return row.secret;
  }

  private window(): number {
    return Math.floor(this.now() / TOKEN_WINDOW_MS);
  }

  /** The token the forms of a page for `user` carry now. */
  issue(user: string): string {
    return consoleToken(this.secret, user, this.window());
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
