// Each wbemcli verb, run by Debian's wbemcli and by tvdc-cim against the same real tvdc-host:
// stdout and exit codes must match. Verbs that change state run for each client from the same
// starting state, and the state they leave behind is compared too.
import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTvdcHost, type TvdcHostProcess } from '../support/TvdcHostProcess.js';
import { runTvdcCimInProcess, runWbemcli, type RunResult } from './support/runners.js';

/** The WBEM server tests' widget model: classes of many CIM types, an association, instances. */
const WIDGETS = join(dirname(fileURLToPath(import.meta.url)), '..', 'wbem', 'fixtures', 'widgets.mof');

describe('wbemcli and tvdc-cim against a real tvdc-host', function () {
  this.timeout(60_000);
  let host: TvdcHostProcess;
  let ns: string;
  let tvdc: string;
  const W1 = 'TVD_Widget.CreationClassName="TVD_Widget",Id=1';

  before(async () => {
    host = await spawnTvdcHost(['--name', 'clienttest', '--port', '0', '--host', '127.0.0.1', '--mof', WIDGETS]);
    ns = `${host.origin}/root/cimv2`;
    tvdc = `${host.origin}/root/tvdc`;
  });
  after(() => host?.stop());

  async function both(args: string[]): Promise<[RunResult, RunResult]> {
    const w = await runWbemcli(args);
    const t = await runTvdcCimInProcess(args);
    return [w, t];
  }

  function same(w: RunResult, t: RunResult): void {
    expect(t.stdout).to.equal(w.stdout);
    expect(t.code).to.equal(w.code);
    if (w.code !== 0) expect(t.stderr).to.equal(w.stderr.replace(/wbemcli/g, 'tvdc-cim'));
  }

  const readOnly: [string, () => string[]][] = [
    ['gc', () => ['gc', `${ns}:TVD_Widget`]],
    ['gc of a TVDc class', () => ['gc', `${tvdc}:TVDc_ComputerSystem`]],
    ['gcd', () => ['gcd', `${ns}:TVD_Feeds`]],
    ['ec', () => ['ec', `${ns}:TVD_Widget`]],
    ['ec of a whole namespace', () => ['ec', tvdc]],
    ['ecn', () => ['ecn', ns]],
    ['gi', () => ['gi', `${ns}:${W1}`]],
    ['gi of a subclass instance with uint64', () => ['gi', `${ns}:TVD_Gadget.CreationClassName="TVD_Gadget",Id=3`]],
    ['gi with a property list', () => ['gi', `${ns}:${W1}`, 'Label,Tags']],
    ['gi of a missing instance', () => ['gi', `${ns}:TVD_Widget.CreationClassName="TVD_Widget",Id=404`]],
    ['ei', () => ['ei', `${ns}:TVD_Widget`]],
    ['ei with -nl -t', () => ['-nl', '-t', 'ei', `${ns}:TVD_Widget`]],
    ['ein', () => ['ein', `${ns}:TVD_Widget`]],
    ['ai', () => ['ai', `${ns}:${W1}`]],
    ['ai with -ac -arc -ar -arr', () => ['ai', '-ac', 'TVD_Feeds', '-arc', 'TVD_Widget', '-ar', 'Source', '-arr', 'Sink', `${ns}:${W1}`]],
    ['ain', () => ['ain', `${ns}:TVD_Widget.CreationClassName="TVD_Widget",Id=2`]],
    ['ri', () => ['ri', `${ns}:${W1}`]],
    ['ri with -dr -t', () => ['-dr', '-t', 'ri', `${ns}:${W1}`]],
    ['rin', () => ['rin', '-arc', 'TVD_Feeds', `${ns}:TVD_Widget.CreationClassName="TVD_Widget",Id=2`]],
    ['gp', () => ['gp', `${ns}:${W1}`, 'Label']],
    ['gp of an array', () => ['gp', `${ns}:${W1}`, 'Tags']],
    ['gp of a NULL property', () => ['gp', `${ns}:TVD_Widget.CreationClassName="TVD_Widget",Id=2`, 'Ratio']],
    ['gp of an unknown property', () => ['gp', `${ns}:${W1}`, 'Nope']],
    ['ai with -arc naming the subclass', () => ['ai', '-arc', 'TVD_Gadget', `${ns}:TVD_Widget.CreationClassName="TVD_Widget",Id=2`]],
    ['ri with -ar', () => ['ri', '-ar', 'Sink', `${ns}:TVD_Widget.CreationClassName="TVD_Widget",Id=2`]],
    ['ein of an unknown class', () => ['ein', `${ns}:TVD_Nope`]],
    ['ecn below a class', () => ['ecn', `${ns}:TVD_Widget`]],
    ['gc with a property list', () => ['gc', `${ns}:TVD_Widget`, 'Label']],
    ['ec -nl of a whole namespace', () => ['-nl', 'ec', ns]],
    ['cm (an error both report the same way)', () => ['cm', `${ns}:${W1}`, 'Grow.By=3,Note="x"']],
    ['cmx', () => ['cmx', `${ns}:${W1}`, 'Grow.By=3']],
    ['dc of a missing class', () => ['dc', `${ns}:TVD_Nope`]],
    ['di of a missing instance', () => ['di', `${ns}:TVD_Widget.CreationClassName="TVD_Widget",Id=405`]],
  ];
  for (const [name, args] of readOnly) {
    it(`${name}: same stdout and exit code`, async () => {
      const [w, t] = await both(args());
      same(w, t);
    });
  }

  it('ci then di: same output, same instance created, same removal', async () => {
    const path = `${ns}:TVD_Widget.CreationClassName="TVD_Widget",Id=50`;
    const props = 'CreationClassName="TVD_Widget",Id=50,Label="made by ci",Enabled=true,Tags="x","y"';
    const results: RunResult[][] = [];
    for (const run of [runWbemcli, runTvdcCimInProcess]) {
      const ci = await run(['ci', path, props]);
      const gi = await run(['gi', path]);
      const di = await run(['di', path]);
      const gone = await run(['gi', path]);
      results.push([ci, gi, di, gone]);
    }
    const [w, t] = results as [RunResult[], RunResult[]];
    expect(w[0]!.code, w[0]!.stderr).to.equal(0);
    expect(w[1]!.stdout).to.contain('Label="made by ci"');
    for (let i = 0; i < 3; i++) same(w[i]!, t[i]!);
    expect(w[3]!.code).to.equal(16);
    expect(t[3]!.code).to.equal(16);
  });

  it('mi and sp: same output and the same resulting instance', async () => {
    const path = `${ns}:TVD_Widget.CreationClassName="TVD_Widget",Id=60`;
    const create = await runWbemcli(['ci', path, 'CreationClassName="TVD_Widget",Id=60,Label="orig",Enabled=true']);
    expect(create.code, create.stderr).to.equal(0);
    try {
      const after: RunResult[] = [];
      const outs: RunResult[] = [];
      for (const run of [runWbemcli, runTvdcCimInProcess]) {
        outs.push(await run(['mi', path, 'Label="changed by mi"']));
        outs.push(await run(['sp', path, 'Enabled=false']));
        after.push(await run(['gi', path]));
        // Back to the starting state for the other client.
        await runWbemcli(['mi', path, 'Label="orig"']);
        await runWbemcli(['sp', path, 'Enabled=true']);
      }
      same(outs[0]!, outs[2]!);
      same(outs[1]!, outs[3]!);
      expect(after[0]!.stdout).to.contain('Label="changed by mi"').and.to.contain('Enabled=FALSE');
      same(after[0]!, after[1]!);
    } finally {
      await runWbemcli(['di', path]);
    }
  });

  it('cm with reference parameters whose paths have several keys: same output, the method ran', async () => {
    const svc = (cls: string, name: string) => `${tvdc}:${cls}.CreationClassName="${cls}",Name="${name}",SystemCreationClassName="TVDc_HostSystem",SystemName="clienttest"`;
    const vsms = svc('TVDc_VirtualSystemManagementService', 'VirtualSystemManagementService');
    const vm = (n: string) => `TVDc_ComputerSystem.CreationClassName="TVDc_ComputerSystem",Name="${n}"`;
    for (const n of ['refa', 'refb']) {
      const settings = `<INSTANCE CLASSNAME="TVDc_VirtualSystemSettingData"><PROPERTY NAME="ElementName" TYPE="string"><VALUE>${n}</VALUE></PROPERTY></INSTANCE>`;
      const escaped = settings.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
      const define = await runWbemcli(['cm', vsms, `DefineSystem.SystemSettings="${escaped}"`]);
      expect(define.stdout, define.stderr).to.contain(`DefineSystem: 0, ResultingSystem (reference): root/tvdc:${vm(n)}`);
    }
    try {
      // Two scalar references of two keys each: wbemcli reads each up to the next parameter name.
      const [w, t] = await both(['cm', svc('TVDc_SecurityService', 'SecurityService'), `CheckAccess.Subject=${vm('refa')},Object=${vm('refb')}`]);
      expect(w.code, w.stderr).to.equal(0);
      expect(w.stdout).to.contain('CheckAccess: 0, Permitted (boolean): TRUE');
      same(w, t);
      // An array of references: a new path wherever an item names a class; both clients send the
      // same two paths of two keys, and print the host's refusal (a return code and Reason) the same way.
      const rasd = (id: string) => `TVDc_DiskResourceAllocationSettingData.InstanceID="${id}",Extra="k"`;
      const [wa, ta] = await both(['cm', vsms, `RemoveResourceSettings.ResourceSettings=${rasd('TVDc:refa:disk:one')},${rasd('TVDc:refb:disk:two')}`]);
      expect(wa.code, wa.stderr).to.equal(0);
      expect(wa.stdout).to.contain("RemoveResourceSettings: 4, Reason (string): disk 'one' is not attached to 'refa'");
      same(wa, ta);
    } finally {
      for (const n of ['refa', 'refb']) await runWbemcli(['cm', vsms, `DestroySystem.AffectedSystem=${vm(n)}`]);
    }
  });
});
