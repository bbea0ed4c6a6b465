// A whole distribution's runtime policy is tens of MB: `tvdc refdb import` takes it in one request
// from a dcadmin, past the API's usual 4 MiB, while every other route and every other caller
// keeps that limit, and a declared length over the import's own limit is refused unread.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ApiClient } from '../../client/cli/ApiClient.js';
import { MAX_BODY_BYTES } from '../../client/server/ApiRouter.js';
import { RUNTIME_POLICY_MAX_BYTES } from '../../client/server/integrity/integrityModule.js';
import { refused, runTvdc, startServer, tempDir, type RunningServer } from '../server/support/serverHarness.js';

const PW = 'correct horse battery';
const FILES = 80_000;

/** A runtime policy of `n` files under /usr, one SHA-256 digest each, bigger than MAX_BODY_BYTES. */
function distributionPolicy(n: number): string {
  const digests: Record<string, string[]> = {};
  for (let i = 0; i < n; i++) {
    const path = `/usr/lib/x86_64-linux-gnu/package-${Math.floor(i / 40)}/lib-component-${i}.so.${i % 7}`;
    digests[path] = [createHash('sha256').update(path).digest('hex')];
  }
  return JSON.stringify({ meta: { version: 1 }, release: 0, digests, excludes: ['/proc/.*'], keyrings: {}, ima: { ignored_keyrings: [] } });
}

/** The status line a raw request with these headers gets before it sends any body. */
function statusForDeclaredLength(url: string, path: string, length: number, auth: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => {
      s.write(`POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Basic ${Buffer.from(auth).toString('base64')}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{`);
    });
    let got = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      got += d;
      const line = got.indexOf('\r\n');
      if (line >= 0) {
        resolve(got.slice(0, line));
        s.destroy();
      }
    });
    s.on('error', reject);
    s.setTimeout(10_000, () => reject(new Error('no answer to a declared over-long body')));
  });
}

describe('management server: a distribution-sized runtime policy', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-large-policy-');
  let srv: RunningServer;
  const as = (user: string) => new ApiClient(srv.url, user, PW);

  before(async () => {
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('root', 'dcadmin', PW);
    await srv.server.users.add('alice', 'tvdcadmin', PW);
  });
  after(async () => {
    await ApiClient.closeAll();
    await srv?.server.stop();
    tmp.remove();
  });

  it('a dcadmin imports it with tvdc refdb import; its digests answer lookups', async () => {
    const policy = distributionPolicy(FILES);
    expect(policy.length).to.be.greaterThan(MAX_BODY_BYTES * 2);
    const file = join(tmp.dir, 'distribution.json');
    writeFileSync(file, policy);
    const r = await runTvdc(srv.url, 'root', PW, 'refdb', 'import', file, '--source', 'distro', '--json');
    expect(r.err).to.equal('');
    expect(r.code).to.equal(0);
    expect(JSON.parse(r.out)).to.deep.include({ source: 'distro', added: FILES, removed: 0, excludes: 1, count: FILES });
    const path = '/usr/lib/x86_64-linux-gnu/package-1999/lib-component-79999.so.3';
    const found = await as('root').get<{ records: { digest: string }[] }>(`/api/refdb?path=${encodeURIComponent(path)}`);
    expect(found.records.map((x) => x.digest)).to.deep.equal([createHash('sha256').update(path).digest('hex')]);
  });

  it('the larger limit is the import route\'s and the dcadmin\'s only', async () => {
    const big = { policy: 'x'.repeat(MAX_BODY_BYTES + 1) };
    expect(await refused(as('alice').post('/api/refdb/import', big), 413, 'BAD_REQUEST')).to.include(`over ${MAX_BODY_BYTES} bytes`);
    expect(await refused(as('root').post('/api/refdb', { path: '/x', digest: 'x'.repeat(MAX_BODY_BYTES) }), 413, 'BAD_REQUEST')).to.include(`over ${MAX_BODY_BYTES} bytes`);
    // Past the import's own limit, the declared length alone is refused: nothing is buffered.
    expect(await statusForDeclaredLength(srv.url, '/api/refdb/import', RUNTIME_POLICY_MAX_BYTES + 1, `root:${PW}`)).to.match(/^HTTP\/1\.1 413 /);
    // Credentials are checked first: a wrong password is 401 whatever length it declares.
    expect(await statusForDeclaredLength(srv.url, '/api/refdb/import', 10, 'root:wrong')).to.match(/^HTTP\/1\.1 401 /);
  });
});
