// Debian's sblim-wbemcli managing indication filters and destinations at a real host process:
// create, list, delete, and the DMTF errors for a bad query and an unsupported language.
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { tempDir } from './support.js';

const here = dirname(fileURLToPath(import.meta.url));

function wbemcli(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('wbemcli', ['-noverify', ...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('indications/wbemcli', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let host: ChildProcess;
  let base: string;

  before(async () => {
    tmp = tempDir();
    host = spawn(process.execPath, ['--import', 'tsx', join(here, 'serverHost.ts'), join(tmp.dir, 'host.db'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: host.stdout! }).on('line', (l) => {
        if (l.startsWith('listening ')) resolve(l.slice('listening '.length));
      });
      host.once('exit', (code) => reject(new Error(`host exited with ${code}`)));
    });
    base = `${url.replace(/^http:\/\//, '')}/root/interop`;
  });
  after(async () => {
    if (host.exitCode === null && host.signalCode === null) {
      const exited = new Promise<void>((resolve) => host.once('exit', () => resolve()));
      host.kill('SIGKILL');
      await exited;
    }
    tmp.cleanup();
  });

  const keys = (cls: string, name: string) =>
    `SystemCreationClassName="CIM_ComputerSystem",SystemName="crashhost",CreationClassName="${cls}",Name="${name}"`;

  it('creates, enumerates and deletes a filter and a destination', () => {
    const f = wbemcli('ci', `http://${base}:CIM_IndicationFilter.${keys('CIM_IndicationFilter', 'wf1')}`,
      'Name="wf1",Query="SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA CIM_ComputerSystem",QueryLanguage="WQL",SourceNamespaces="root/tvdc","root/interop"');
    expect(f.status, f.out).to.equal(0);
    expect(f.out).to.contain(':CIM_IndicationFilter.SystemCreationClassName="CIM_ComputerSystem",SystemName="crashhost",CreationClassName="CIM_IndicationFilter",Name="wf1"');
    const d = wbemcli('ci', `http://${base}:CIM_ListenerDestinationCIMXML.${keys('CIM_ListenerDestinationCIMXML', 'wd1')}`,
      'Name="wd1",Destination="http://127.0.0.1:9/listener"');
    expect(d.status, d.out).to.equal(0);

    const ei = wbemcli('ei', `http://${base}:CIM_IndicationFilter`);
    expect(ei.status, ei.out).to.equal(0);
    expect(ei.out).to.contain('Query="SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA CIM_ComputerSystem"');
    expect(ei.out).to.contain('QueryLanguage="WQL"');
    // wbemcli's array syntax is a comma list: two namespaces, each its own element.
    expect(ei.out).to.contain('SourceNamespaces="root/tvdc","root/interop"');
    const ein = wbemcli('ein', `http://${base}:CIM_ListenerDestinationCIMXML`);
    expect(ein.out.trim().split('\n')).to.have.length(1);
    expect(ein.out).to.contain('Name="wd1"');

    expect(wbemcli('di', `http://${base}:CIM_IndicationFilter.${keys('CIM_IndicationFilter', 'wf1')}`).status).to.equal(0);
    expect(wbemcli('di', `http://${base}:CIM_ListenerDestinationCIMXML.${keys('CIM_ListenerDestinationCIMXML', 'wd1')}`).status).to.equal(0);
    expect(wbemcli('ein', `http://${base}:CIM_IndicationFilter`).out.trim()).to.equal('');
  });

  it('refuses a source namespace the server lacks, e.g. braces wbemcli sends literally', () => {
    const braces = wbemcli('ci', `http://${base}:CIM_IndicationFilter.${keys('CIM_IndicationFilter', 'wf4')}`,
      'Name="wf4",Query="SELECT * FROM CIM_InstCreation",QueryLanguage="WQL",SourceNamespaces={"root/tvdc"}');
    expect(braces.status).to.not.equal(0);
    expect(braces.out).to.contain('(4) CIM_ERR_INVALID_PARAMETER: SourceNamespaces[0] "{"root/tvdc"}" is not a namespace of this server');
    const single = wbemcli('ci', `http://${base}:CIM_IndicationFilter.${keys('CIM_IndicationFilter', 'wf5')}`,
      'Name="wf5",Query="SELECT * FROM CIM_InstCreation",QueryLanguage="WQL",SourceNamespace="root/nowhere"');
    expect(single.status).to.not.equal(0);
    expect(single.out).to.contain('(4) CIM_ERR_INVALID_PARAMETER: SourceNamespace "root/nowhere" is not a namespace of this server');
    expect(wbemcli('ein', `http://${base}:CIM_IndicationFilter`).out.trim()).to.equal('');
  });

  it('prints the DMTF errors for a bad query and for CQL', () => {
    const bad = wbemcli('ci', `http://${base}:CIM_IndicationFilter.${keys('CIM_IndicationFilter', 'wf2')}`, 'Name="wf2",Query="SELECT * FROM",QueryLanguage="WQL"');
    expect(bad.status).to.not.equal(0);
    expect(bad.out).to.contain('(15) CIM_ERR_INVALID_QUERY: WQL error at position 14');
    const cql = wbemcli('ci', `http://${base}:CIM_IndicationFilter.${keys('CIM_IndicationFilter', 'wf3')}`, 'Name="wf3",Query="SELECT * FROM CIM_InstCreation",QueryLanguage="DMTF:CQL"');
    expect(cql.status).to.not.equal(0);
    expect(cql.out).to.contain('(14) CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED');
  });
});
