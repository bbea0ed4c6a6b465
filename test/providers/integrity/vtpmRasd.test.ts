// A VM's vTPM is a resource of its settings: a DSP1057 client walking VSSD ->
// TVDc_VirtualSystemSettingDataComponent -> RASD finds a ResourceType 1 / OtherResourceType TPM
// RASD naming the TVDc_VTPM, and enumerating the RASD class lists it. A host with --vtpm off has none.
import { expect } from 'chai';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcli, wbemcliCall, wbemcliString } from '../isolation/support/wbemcli.js';
import { removeState, startInProcessHost, type IntegrityHost } from './support/IntegrityHost.js';

const VSSD = (vm: string) => `TVDc_VirtualSystemSettingData.InstanceID="TVDc:${vm}"`;
const RASD = (vm: string) => `TVDc_ResourceAllocationSettingData.InstanceID="TVDc:${vm}:tpm:vtpm0"`;

function addTpmParam(vm: string): string {
  const xml = `<INSTANCE CLASSNAME="TVDc_ResourceAllocationSettingData"><PROPERTY NAME="ResourceType" TYPE="uint16"><VALUE>1</VALUE></PROPERTY>` +
    `<PROPERTY NAME="OtherResourceType" TYPE="string"><VALUE>TPM</VALUE></PROPERTY></INSTANCE>`;
  return `AddResourceSettings.ResourceSettings="${wbemcliString(xml)}",AffectedConfiguration=${VSSD(vm)}`;
}

async function setPolicy(p: HostPaths): Promise<void> {
  expect((await wbemcliCall(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
}

async function defineVm(p: HostPaths, vm: string): Promise<void> {
  expect((await wbemcliCall(p, p.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'MarketAnalysis'))).returnValue).to.equal(0);
}

async function lines(args: string[]): Promise<string[]> {
  const r = await wbemcli(args);
  expect(r.stderr, r.stderr).to.equal('');
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

describe('integrity providers: the vTPM as a RASD of its VM (real swtpm, wbemcli)', function () {
  this.timeout(60_000);

  describe('a host with --vtpm swtpm', () => {
    let h: IntegrityHost;
    let p: HostPaths;
    before(async () => {
      h = await startInProcessHost('vr');
      p = new HostPaths(h.origin, 'vr');
      await setPolicy(p);
      await defineVm(p, 'a');
    });
    after(async () => {
      await h?.stop();
      await removeState(h.state);
    });

    it('ain from the VSSD through TVDc_VirtualSystemSettingDataComponent finds the TPM RASD', async () => {
      const found = await lines(['ain', '-ac', 'TVDc_VirtualSystemSettingDataComponent', p.url(VSSD('a'))]);
      expect(found.filter((l) => l.includes('InstanceID="TVDc:a:tpm:vtpm0"'))).to.have.length(1);
      // and back: the RASD's group is the VM's settings
      const back = await lines(['ain', '-ac', 'TVDc_VirtualSystemSettingDataComponent', p.url(RASD('a'))]);
      expect(back).to.have.length(1);
      expect(back[0]).to.include('InstanceID="TVDc:a"');
    });

    it('ei of TVDc_ResourceAllocationSettingData lists it as ResourceType 1, OtherResourceType TPM, naming the TVDc_VTPM', async () => {
      const all = await lines(['ei', p.url('TVDc_ResourceAllocationSettingData')]);
      const tpm = all.filter((l) => l.includes('InstanceID="TVDc:a:tpm:vtpm0"'));
      expect(tpm, all.join('\n')).to.have.length(1);
      expect(tpm[0]).to.match(/ResourceType=1(,|$)/);
      expect(tpm[0]).to.include('OtherResourceType="TPM"');
      expect(tpm[0]).to.include('TVDc_VTPM.');
      expect(tpm[0]).to.include('HostResource="root/tvdc:TVDc_VTPM.SystemCreationClassName="TVDc_ComputerSystem",SystemName="a",CreationClassName="TVDc_VTPM",DeviceID="vtpm0""');
      // GetInstance of the same path answers the same instance.
      const one = await lines(['gi', p.url(RASD('a'))]);
      expect(one).to.have.length(1);
      expect(one[0]).to.include('OtherResourceType="TPM"');
    });

    it('AddResourceSettings of a TPM RASD is refused with a Reason saying the vTPM comes with the VM', async () => {
      const r = await wbemcliCall(p, p.service('TVDc_VirtualSystemManagementService'), addTpmParam('a'));
      expect(r.returnValue).to.equal(1);
      expect(r.out['Reason']).to.include('DefineSystem makes it with the VM');
    });

    it('RemoveResourceSettings of the TPM RASD is refused (1) with a Reason saying the vTPM goes with the VM; the vTPM stays', async () => {
      const r = await wbemcliCall(p, p.service('TVDc_VirtualSystemManagementService'), `RemoveResourceSettings.ResourceSettings=${RASD('a')}`);
      expect(r.returnValue).to.equal(1);
      expect(r.out['Reason']).to.equal("ResourceSettings: 'TVDc:a:tpm:vtpm0' is the VM's vTPM, which is not removed this way: it goes with the VM (DestroySystem)");
      expect(await lines(['gi', p.url(RASD('a'))])).to.have.length(1);
    });

    it('the RASD goes with the VM at DestroySystem', async () => {
      await defineVm(p, 'gone');
      expect((await lines(['ei', p.url('TVDc_ResourceAllocationSettingData')])).some((l) => l.includes('TVDc:gone:tpm:vtpm0'))).to.equal(true);
      expect((await wbemcliCall(p, p.service('TVDc_VirtualSystemManagementService'), `DestroySystem.AffectedSystem=${p.vm('gone')}`)).returnValue).to.equal(0);
      expect((await lines(['ei', p.url('TVDc_ResourceAllocationSettingData')])).some((l) => l.includes('TVDc:gone:'))).to.equal(false);
    });
  });

  it('a host with --vtpm off shows no TPM RASD for its VMs', async () => {
    const off = await startInProcessHost('voff', undefined, 'off');
    try {
      const po = new HostPaths(off.origin, 'voff');
      await setPolicy(po);
      await defineVm(po, 'b');
      const fromVssd = await wbemcli(['ain', '-ac', 'TVDc_VirtualSystemSettingDataComponent', po.url(VSSD('b'))]);
      expect(fromVssd.stdout).to.not.include(':tpm:');
      const all = await wbemcli(['ei', po.url('TVDc_ResourceAllocationSettingData')]);
      expect(all.stdout).to.not.include(':tpm:');
      // The VM is there: the same walk reaches its settings' VM.
      const vm = await lines(['ain', '-ac', 'TVDc_SettingsDefineState', po.url(VSSD('b'))]);
      expect(vm.join('\n')).to.include('Name="b"');
    } finally {
      await off.stop();
      await removeState(off.state);
    }
  });
});
