// `tvdc --help`, `tvdc NOUN --help` and `tvdc NOUN VERB --help`: printed from the same tables that
// dispatch, exit 0, and never a request to the server (a real HTTP server counts them).
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { commands } from '../../client/cli/tvdc.js';
import { runMain } from '../server/support/serverHarness.js';

const tvdc = runMain;

describe('cli: tvdc help', function () {
  this.timeout(20_000);
  let server: Server;
  let requests = 0;
  const saved = process.env['TVDC_SERVER'];

  before(async () => {
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    process.env['TVDC_SERVER'] = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    if (saved === undefined) delete process.env['TVDC_SERVER'];
    else process.env['TVDC_SERVER'] = saved;
    server?.close();
  });

  it('tvdc --help names --cacert and TVDC_CACERT', async () => {
    const r = await tvdc(['--help']);
    expect(r.code).to.equal(0);
    expect(r.out).to.contain('--cacert FILE').and.contain('TVDC_CACERT').and.contain('tvdc NOUN --help');
  });

  it('tvdc NOUN --help lists every verb of the noun with its usage, for every noun, exit 0', async () => {
    for (const [noun, verbs] of Object.entries(commands)) {
      const r = await tvdc([noun, '--help']);
      expect(r.code, noun).to.equal(0);
      const lines = r.out.split('\n').filter((l) => l.startsWith(`  tvdc ${noun} `));
      expect(lines.map((l) => l.split(' ')[4]), noun).to.deep.equal(Object.keys(verbs));
    }
    const users = (await tvdc(['users', 'help'])).out;
    expect(users).to.contain('  tvdc users add NAME --role dcadmin|tvdcadmin [--db FILE] [--json]');
    expect(users).to.contain('  tvdc users list [--json]');
    expect(users).to.contain('server options: --server URL --user NAME --password PW --cacert FILE');
    expect((await tvdc(['audit', '--help'])).out).to.contain('tvdc audit list [--group VALUE] [--by VALUE] [--action VALUE]');
    expect(requests, 'requests to the server').to.equal(0);
  });

  it('tvdc NOUN VERB --help prints that verb\'s usage and options, exit 0, nothing sent', async () => {
    const add = await tvdc(['users', 'add', '--help']);
    expect([add.code, add.out.split('\n')[0]]).to.deep.equal([0, 'usage: tvdc users add NAME --role dcadmin|tvdcadmin [--db FILE] [--json]']);
    const migrate = await tvdc(['vms', 'migrate', 'g', 'vm', '--help']);
    expect([migrate.code, migrate.out.split('\n')[0]]).to.deep.equal([0, 'usage: tvdc vms migrate GROUP VM --to HOST [--json]']);
    const targets = await tvdc(['plans', 'targets', '--help']);
    expect([targets.code, targets.out]).to.deep.equal([0, 'usage: tvdc plans targets add PREFIX | remove PREFIX | list']);
    const backup = await tvdc(['server', 'backup', '--help']);
    expect([backup.code, backup.out]).to.deep.equal([0, 'usage: tvdc server backup --to FILE [--db FILE] [--key-file FILE]']);
    expect(requests, 'requests to the server').to.equal(0);
  });

  it('a noun without a verb is a usage error that lists its verbs', async () => {
    const r = await tvdc(['vms']);
    expect(r.code).to.equal(2);
    expect(r.err).to.contain('tvdc vms: which verb?').and.contain('  tvdc vms stop GROUP VM [--hard] [--json]');
  });
});
