// The tvdc command line: connection options before the noun, and malformed option values caught
// before any request, as usage errors (exit 2) like every other, not refusals of the server (exit 1).
import { expect } from 'chai';
import { join } from 'node:path';
import { openServerDb } from '../../client/server/ManagementServer.js';
import { UserStore } from '../../client/server/UserStore.js';
import { runMain, startServer, tempDir, type RunningServer } from '../server/support/serverHarness.js';

// Nothing listens here: a command that got as far as a request would fail with SERVER_UNREACHABLE, exit 1.
const NOWHERE = ['--server', 'http://127.0.0.1:1', '--user', 'u', '--password', 'p'];

describe('cli: option placement and option values', function () {
  this.timeout(30_000);
  const tmp = tempDir('tvdc-cli-options-');
  let srv: RunningServer;

  before(async () => {
    const db = join(tmp.dir, 'server.db');
    const d = openServerDb(db);
    await new UserStore(d).add('dc', 'dcadmin', 'dc-password-1');
    d.close();
    srv = await startServer(db);
  });
  after(async () => {
    await srv?.server.stop();
    tmp.remove();
  });

  it('takes --server, --user, --password and --json before the noun as after the verb', async () => {
    for (const args of [
      ['--server', srv.url, '--user', 'dc', '--password', 'dc-password-1', '--json', 'hosts', 'list'],
      [`--server=${srv.url}`, '--user=dc', 'hosts', 'list', '--password', 'dc-password-1', '--json'],
    ]) {
      const r = await runMain(args);
      expect(r, args.join(' ')).to.deep.include({ code: 0, err: '' });
      expect(JSON.parse(r.out)).to.deep.equal({ hosts: [] });
    }
  });

  it('any other leading option, or options alone, is a usage error saying where options go', async () => {
    for (const args of [['--verbose', 'hosts', 'list'], ['--server'], ['--json']]) {
      const r = await runMain(args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.err.split('\n')[0]).to.equal(`tvdc: ${args[0]} is no command; options come after the noun and verb (tvdc <noun> <verb> [options]), except --server, --user, --password, --cacert and --json, which may also come first`);
    }
  });

  it('malformed --limit, --every, --vlan, --vni and --since are exit 2 with the option and its range, before any request', async () => {
    const cases: [string[], string][] = [
      [['audit', 'list', '--limit', '0'], 'tvdc audit list: --limit must be an integer from 1 to 10000, not 0'],
      [['audit', 'list', '--limit', 'abc'], 'tvdc audit list: --limit must be an integer from 1 to 10000, not abc'],
      [['audit', 'list', '--limit', '10001'], 'tvdc audit list: --limit must be an integer from 1 to 10000, not 10001'],
      [['audit', 'list', '--since', 'yesterday'], 'tvdc audit list: --since must be an ISO 8601 time like 2026-01-31T12:00:00Z, not yesterday'],
      [['violations', 'list', '--limit', '-1'], 'tvdc violations list: --limit must be an integer from 1 to 10000, not -1'],
      [['events', 'list', '--limit', '1e3'], 'tvdc events list: --limit must be an integer from 1 to 10000, not 1e3'],
      [['refdb', 'list', '--limit', '0'], 'tvdc refdb list: --limit must be an integer from 1 to 100000, not 0'],
      [['attest', 'schedule', 'g', '--every', '1x'], 'tvdc attest schedule: --every: interval "1x" is not a duration like 30s, 10m, 1h, 1d or 1h30m'],
      [['attest', 'schedule', 'g', '--every', '0s'], 'tvdc attest schedule: --every: interval "0s" must be from 1s to 366d'],
      [['segments', 'create', 'g', 's', '--vlan', '5000'], 'tvdc segments create: --vlan must be an integer from 1 to 4094, not 5000'],
      [['segments', 'create', 'g', 's', '--vlan', '0'], 'tvdc segments create: --vlan must be an integer from 1 to 4094, not 0'],
      [['segments', 'create', 'g', 's', '--vni', '16777216'], 'tvdc segments create: --vni must be an integer from 1 to 16777215, not 16777216'],
    ];
    for (const [args, message] of cases) {
      const r = await runMain([...args, ...NOWHERE]);
      expect({ code: r.code, err: r.err }, args.join(' ')).to.deep.equal({ code: 2, err: message });
    }
  });

  it('well-formed values at the edges of their ranges are sent (and here fail only for want of a server)', async () => {
    for (const args of [['audit', 'list', '--limit', '10000'], ['segments', 'create', 'g', 's', '--vlan', '4094'], ['attest', 'schedule', 'g', '--every', '1h30m']]) {
      const r = await runMain([...args, ...NOWHERE]);
      expect(r.code, args.join(' ')).to.equal(1);
      expect(r.err).to.match(/^tvdc: SERVER_UNREACHABLE: /);
    }
  });
});
