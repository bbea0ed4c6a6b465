// The web console's anti-CSRF secret kept sealed under the server's key: a database from before
// (the secret in plain text) is sealed in place at start and its plain bytes are gone from the
// file; forms stay good across a restart with the same key; with another key the server still
// starts, logs one line, and its console works with fresh tokens while the old ones are refused.
// Real management servers over real SQLite files and key files, forms posted over HTTP.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { consoleToken, TOKEN_WINDOW_MS } from '../../client/server/console/ConsoleTokens.js';
import { openServerDb } from '../../client/server/ManagementServer.js';
import { SecretBox } from '../../client/server/SecretBox.js';
import { consoleBrowser } from './support/consoleBrowser.js';
import { client, startServer, tempDir, type RunningServer } from './support/serverHarness.js';

/** Every file of the database (the main file and its write-ahead log), as one buffer. */
function databaseBytes(db: string): Buffer {
  return Buffer.concat([db, `${db}-wal`, `${db}-journal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

/** The secret column as stored. */
function storedSecret(db: string): unknown {
  const d = openServerDb(db);
  try {
    return (d.prepare('SELECT secret FROM console_secret WHERE id = 1').get() as { secret: unknown } | undefined)?.secret;
  } finally {
    d.close();
  }
}

describe('management server: the console\'s anti-CSRF secret, sealed under the server key', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-console-secret-');
  const db = join(tmp.dir, 'server.db');
  const keyA = join(tmp.dir, 'a.key');
  const keyB = join(tmp.dir, 'b.key');
  // A secret as the databases made before sealing hold it: 32 random-looking bytes, in plain text.
  const plain = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 73 + 41) % 256));
  let srv: RunningServer | undefined;
  const browser = consoleBrowser(() => srv!.url, []);
  const window = () => Math.floor(Date.now() / TOKEN_WINDOW_MS);
  /** A form post with `token` to TVDc g's actions: 403 when the token is refused, else 400, the action's own refusal (g has no such VM). */
  const postWith = async (token: string) => (await browser.act('dc', 'g', { token, action: 'start', element: 'vm', name: 'nosuchvm' })).status;
  const consoleLines = () => srv!.log.filter((l) => l.startsWith('console:'));

  before(async () => {
    // A database as an older server left it: its secret stored in plain text.
    const d = openServerDb(db);
    d.prepare('INSERT INTO console_secret (id, secret, created_at) VALUES (1, ?, ?)').run(plain, new Date().toISOString());
    d.pragma('wal_checkpoint(TRUNCATE)');
    d.close();
    expect(databaseBytes(db).includes(plain)).to.equal(true);
  });
  after(async () => {
    await srv?.server.stop();
    tmp.remove();
  });

  it('a plain secret is sealed in place at start, with one log line; the file no longer holds it; forms made with it stay good', async () => {
    srv = await startServer(db, { keyFile: keyA });
    expect(consoleLines()).to.deep.equal([`console: sealed its anti-CSRF secret, stored in plain text, with key file ${keyA}`]);
    // Gone from the file while the server runs, not only once a checkpoint at its stop happens to overwrite it.
    const forms = [plain, Buffer.from(plain.toString('base64')), Buffer.from(plain.toString('hex'))];
    for (const form of forms) expect(databaseBytes(db).includes(form)).to.equal(false);
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    await client(srv.url, 'dc', 'dc-password').post('/api/groups', { name: 'g' });
    // The same secret, only sealed: a form a browser got before the upgrade still posts.
    const before = consoleToken(plain, 'dc', window());
    expect(srv.server.consoleTokens.issue('dc')).to.equal(before);
    expect(await postWith(before)).to.equal(400);
    expect(await postWith(consoleToken(Buffer.alloc(32, 1), 'dc', window()))).to.equal(403);
    await srv.server.stop();
    srv = undefined;
    for (const form of forms) expect(databaseBytes(db).includes(form)).to.equal(false);
    const stored = storedSecret(db);
    expect(typeof stored === 'string' && SecretBox.isSealed(stored), String(stored)).to.equal(true);
  });

  it('across a restart with the same key the tokens are the same, and nothing is logged about them', async () => {
    srv = await startServer(db, { keyFile: keyA });
    expect(consoleLines()).to.deep.equal([]);
    const page = await browser.tokenOf('dc', 'g');
    expect(page).to.equal(consoleToken(plain, 'dc', window()));
    expect(await postWith(page)).to.equal(400);
    await srv.server.stop();
    srv = undefined;
  });

  it('with another key the server starts, says so in one line, and its console works with fresh tokens; the old ones are refused', async () => {
    srv = await startServer(db, { keyFile: keyB });
    expect(consoleLines()).to.deep.equal([
      `console: its anti-CSRF secret does not open with key file ${keyB}: made a new one; forms served before this start are refused (reloading the page gives new ones)`,
    ]);
    const fresh = await browser.tokenOf('dc', 'g');
    expect(fresh).to.not.equal(consoleToken(plain, 'dc', window()));
    expect(await postWith(fresh)).to.equal(400);
    const old = await browser.act('dc', 'g', { token: consoleToken(plain, 'dc', window()), action: 'start', element: 'vm', name: 'nosuchvm' });
    expect(old.status).to.equal(403);
    expect(old.body).to.include('Nothing was changed.');
    await srv.server.stop();
    // The new secret is the one kept: the next start with key B has the same tokens and no complaint.
    srv = await startServer(db, { keyFile: keyB });
    expect(consoleLines()).to.deep.equal([]);
    expect(await browser.tokenOf('dc', 'g')).to.equal(fresh);
  });
});
