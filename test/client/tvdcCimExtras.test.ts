// What tvdc-cim adds to wbemcli, against a real tvdc-host: --pull gives the same lines as the
// classic enumeration, eq runs WQL, --json prints lossless JSON lines, -dx traces the XML, -h/-v.
import { expect } from 'chai';
import { createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTvdcHost, type TvdcHostProcess } from '../support/TvdcHostProcess.js';
import { runTvdcCimInProcess } from './support/runners.js';

const WIDGETS = join(dirname(fileURLToPath(import.meta.url)), '..', 'wbem', 'fixtures', 'widgets.mof');

describe('tvdc-cim extensions against a real tvdc-host', function () {
  this.timeout(60_000);
  let host: TvdcHostProcess;
  let ns: string;
  const W1 = 'TVD_Widget.CreationClassName="TVD_Widget",Id=1';

  before(async () => {
    host = await spawnTvdcHost(['--name', 'clienttest', '--port', '0', '--host', '127.0.0.1', '--mof', WIDGETS]);
    ns = `${host.origin}/root/cimv2`;
  });
  after(() => host?.stop());

  it('ei --pull 1 prints exactly what ei prints', async () => {
    const classic = await runTvdcCimInProcess(['ei', `${ns}:TVD_Widget`]);
    const pulled = await runTvdcCimInProcess(['ei', '--pull', '1', `${ns}:TVD_Widget`]);
    expect(classic.stdout.split('\n')).to.have.length(4);
    expect(pulled.stdout).to.equal(classic.stdout);
  });

  it('ein --pull 2 prints exactly what ein prints', async () => {
    const classic = await runTvdcCimInProcess(['ein', `${ns}:TVD_Widget`]);
    const pulled = await runTvdcCimInProcess(['ein', '--pull', '2', `${ns}:TVD_Widget`]);
    expect(pulled.stdout).to.equal(classic.stdout);
  });

  for (const verb of ['ai', 'ain', 'ri', 'rin']) {
    it(`${verb} --pull 1 prints exactly what ${verb} prints`, async () => {
      const target = `${ns}:TVD_Widget.CreationClassName="TVD_Widget",Id=2`;
      const classic = await runTvdcCimInProcess([verb, target]);
      const pulled = await runTvdcCimInProcess([verb, '--pull', '1', target]);
      expect(classic.stdout.trim().split('\n')).to.have.length(2);
      expect(pulled.stdout).to.equal(classic.stdout);
    });
  }

  it('eq runs a WQL query, with or without --pull', async () => {
    const r = await runTvdcCimInProcess(['eq', ns, 'SELECT * FROM TVD_Widget WHERE Id = 2']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim().split('\n')).to.have.length(1);
    expect(r.stdout).to.contain('Label="green"');
    const p = await runTvdcCimInProcess(['eq', '--pull', '1', ns, 'SELECT Label FROM TVD_Widget']);
    expect(p.stdout.trim().split('\n').map((l) => l.slice(l.indexOf(' ') + 1))).to.deep.equal(['Label="red & blue"', 'Label="green"', 'Label="heavy"']);
    const bad = await runTvdcCimInProcess(['eq', ns, 'SELEKT nothing']);
    expect(bad.code).to.equal(16);
    expect(bad.stderr).to.match(/Cim: \(15\) CIM_ERR_INVALID_QUERY/);
  });

  it('--json keeps 64-bit values exact and types intact', async () => {
    const r = await runTvdcCimInProcess(['gi', '--json', `${ns}:${W1}`]);
    const j = JSON.parse(r.stdout) as { className: string; path: string; properties: Record<string, unknown> };
    expect(j.className).to.equal('TVD_Widget');
    expect(j.properties).to.deep.include({ Id: 1, Label: 'red & blue', Tags: ['a', 'b'], Enabled: true, Offset: '-9223372036854775808', Ratio: 0.5, Created: '20240101120000.000000+000' });
    const g = await runTvdcCimInProcess(['ei', '--json', `${ns}:TVD_Gadget`]);
    expect((JSON.parse(g.stdout) as { properties: { Mass: string } }).properties.Mass).to.equal('18446744073709551615');
    const names = await runTvdcCimInProcess(['ain', '--json', `${ns}:${W1}`]);
    expect(JSON.parse(names.stdout)).to.have.property('path').that.contains('Id=2');
  });

  it('-dx writes the request and the response XML to stderr, leaving stdout as without it', async () => {
    const plain = await runTvdcCimInProcess(['gi', `${ns}:${W1}`]);
    const traced = await runTvdcCimInProcess(['-dx', 'gi', `${ns}:${W1}`]);
    expect(traced.stdout).to.equal(plain.stdout);
    expect(traced.stderr).to.match(/^To server: <\?xml/);
    expect(traced.stderr).to.contain('<IMETHODCALL NAME="GetInstance">');
    expect(traced.stderr).to.match(/\nFrom server: Content-Type: application\/xml/);
    expect(traced.stderr).to.contain('<IMETHODRESPONSE NAME="GetInstance">');
  });

  it('-h prints the usage and -v the version, both exit 0', async () => {
    const h = await runTvdcCimInProcess(['-h']);
    expect(h.code).to.equal(0);
    expect(h.stderr).to.match(/^usage:\ttvdc-cim gc\|gcd/);
    const v = await runTvdcCimInProcess(['-v']);
    expect(v.code).to.equal(0);
    expect(v.stderr).to.match(/Version \d+\.\d+\.\d+/);
    const none = await runTvdcCimInProcess([]);
    expect(none.code).to.equal(0);
    expect(none.stderr).to.equal(h.stderr);
  });

  it('--timeout bounds a call to a server that accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => { sockets.push(s); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await runTvdcCimInProcess(['ecn', '--timeout', '0.3', `http://127.0.0.1:${port}/root/cimv2`]);
      expect(r.code).to.equal(16);
      expect(r.stderr).to.match(/timed out after 300 ms waiting for the response/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
