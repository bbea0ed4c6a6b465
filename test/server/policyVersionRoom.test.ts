// A host of a TVDc that holds the TVDc policy's name at a version that leaves no room above it
// (99999999.99999999, loadable with the write role the server's own host login has) must not
// block the TVDc's edits: the version is left out of an edit's choice, and the answer and the CLI
// name the host where deploying fails until its policy is reset. Real host agents on loopback,
// a real server on a SQLite file, the CLI verbs in process.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WbemConnection } from '../../client/cim/index.js';
import type { ApiClient } from '../../client/cli/ApiClient.js';
import { addLabel, forHost } from '../../src/tvdc/management/PolicyEditor.js';
import { loadPolicy } from '../../src/tvdc/policy/loadPolicy.js';
import { writeAcmXml } from '../../src/tvdc/policy/writeAcmXml.js';
import { startInProcessHost, type InProcessHost } from '../providers/isolation/support/InProcessHost.js';
import { activePolicy, client, paperTvdc, PAPER_POLICY, runTvdc, service, startServer, tempDir, tvdcConnection, type RunningServer } from './support/serverHarness.js';

const TOP = '99999999.99999999';

describe('management server: a host policy version that leaves no room above it blocks no edit', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-version-room-');
  let c1: InProcessHost, c2: InProcessHost;
  let cim1: WbemConnection, cim2: WbemConnection;
  let srv: RunningServer;
  let dc: ApiClient;

  /** SetPolicy on a host behind the server's back: the paper policy plus one label, at `version`, as an update of `from`. */
  const setOnHost = async (conn: WbemConnection, host: string, version: string, activate: boolean, from = '1.0') => {
    const rogue = forHost(addLabel(loadPolicy(readFileSync(PAPER_POLICY, 'utf8')), { name: `Rogue${version.replace(/\./g, '')}`, kind: 'vm', ste: ['MA'], cw: [] }, version), { name: 'tvdc-paper', version: from });
    const r = await conn.invokeMethod(service(host, 'TVDc_SecurityService', 'SecurityService'), 'SetPolicy', { PolicyXML: writeAcmXml(rogue), Activate: activate });
    expect(Number(r.returnValue), `SetPolicy ${version} on ${host}`).to.equal(0);
  };

  before(async () => {
    [c1, c2] = await Promise.all([startInProcessHost('c1'), startInProcessHost('c2')]);
    cim1 = tvdcConnection(c1.origin);
    cim2 = tvdcConnection(c2.origin);
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    dc = client(srv.url, 'dc', 'dc-password');
    for (const h of [c1, c2]) await dc.post('/api/hosts', { url: h.origin });
    await paperTvdc(dc, 'fin', ['c1', 'c2']);
  });
  after(async () => {
    await srv?.server.stop();
    await Promise.all([cim1?.close(), cim2?.close()]);
    await Promise.all([c1?.stop(), c2?.stop()]);
    tmp.remove();
  });

  it(`a host running ${TOP} is left out of the version, named in the note and the CLI; deploying fails there only`, async () => {
    await setOnHost(cim1, 'c1', TOP, true);
    expect(await activePolicy(cim1)).to.equal(`tvdc-paper ${TOP}`);

    const note = `host c1 runs tvdc-paper ${TOP}, which leaves no room above it for the TVDc's edits: left out of the choice of 1.1; deploying to host c1 fails until that host's policy is reset`;
    const cli = await runTvdc(srv.url, 'dc', 'dc-password', 'labels', 'add', 'fin', 'L1', '--types', 'MA');
    // The CLI run in process closes the shared HTTP agent the API client uses.
    dc = client(srv.url, 'dc', 'dc-password');
    expect(cli.code, cli.err).to.equal(0);
    expect(cli.out.split('\n').filter(Boolean)).to.deep.equal([
      'TVDc fin: label L1 added; policy tvdc-paper 1.1 (deploy it with tvdc policy deploy fin)',
      `note: ${note}`,
    ]);

    const conflicts = await dc.post<{ version: string; versionNote?: string; versionsLeftOut?: unknown }>('/api/groups/fin/conflicts', { name: 'cs9', types: ['MA', 'SU'] });
    expect(conflicts).to.deep.include({ version: '1.2', versionsLeftOut: [{ host: 'c1', version: TOP }] });
    expect(conflicts.versionNote).to.equal(note.replace('choice of 1.1', 'choice of 1.2'));
    const trail = await dc.get<{ entries: { message: string }[] }>('/api/audit?action=policy.edit');
    expect(trail.entries[0]!.message).to.equal(`TVDc fin: conflict set cs9 added by dc; policy tvdc-paper 1.2; ${note.replace('choice of 1.1', 'choice of 1.2')}`);

    const deploy = await dc.post<{ ok: boolean; results: { host: string; ok: boolean; message: string }[] }>('/api/groups/fin/policy/deploy');
    expect(deploy.ok).to.equal(false);
    expect(deploy.results.map((r) => [r.host, r.ok])).to.deep.equal([['c1', false], ['c2', true]]);
    expect(deploy.results[0]!.message).to.match(new RegExp(`^SetPolicy refused \\(\\d+\\): .*1\\.2.*${TOP.replace(/\./g, '\\.')}`));
    expect(await activePolicy(cim2)).to.equal('tvdc-paper 1.2');
    expect(await activePolicy(cim1)).to.equal(`tvdc-paper ${TOP}`);
  });

  it('a host version with room above it still counts beside one without: the edit goes above it, and both are in the note', async () => {
    await setOnHost(cim2, 'c2', '1.7', false, '1.2');
    const edit = await dc.post<{ version: string; versionNote?: string; versionsLeftOut?: unknown }>('/api/groups/fin/labels', { name: 'L2', types: ['MA'] });
    expect(edit).to.deep.include({
      version: '1.8',
      versionNote: `version 1.8, not 1.3: host c2 holds (not active) tvdc-paper 1.7; host c1 runs tvdc-paper ${TOP}, which leaves no room above it for the TVDc's edits: left out of the choice of 1.8; deploying to host c1 fails until that host's policy is reset`,
      versionsLeftOut: [{ host: 'c1', version: TOP }],
    });
  });

  it('a version near the top of the minor numbers (1.99500000: it has next ones, but too few) leaves no room either', async () => {
    await setOnHost(cim2, 'c2', '1.99500000', false, '1.2');
    const edit = await dc.del<{ version: string; versionsLeftOut?: unknown }>('/api/groups/fin/labels/L2?kind=vm');
    expect(edit).to.deep.include({ version: '1.9', versionsLeftOut: [{ host: 'c1', version: TOP }, { host: 'c2', version: '1.99500000' }] });
  });
});
