// A VM's disks the way a DSP1042 client finds them with wbemcli: VM -> TVDc_SettingsDefineState ->
// its VSSD -> TVDc_VirtualSystemSettingDataComponent -> the RASDs of ResourceType 31, whose
// HostResource is the disk's object path.
import { expect } from 'chai';
import { HostPaths, wbemcli } from './wbemcli.js';

export async function vmDisks(p: HostPaths, vm: string): Promise<string[]> {
  const settings = await wbemcli(['ain', '-ac', 'TVDc_SettingsDefineState', p.url(p.vm(vm))]);
  expect(settings.stderr, settings.stderr).to.equal('');
  const vssd = settings.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  expect(vssd, `settings of ${vm}`).to.have.length(1);
  const rasds = await wbemcli(['ai', '-ac', 'TVDc_VirtualSystemSettingDataComponent', p.url(vssd[0]!.slice(vssd[0]!.indexOf(':') + 1))]);
  expect(rasds.stderr, rasds.stderr).to.equal('');
  // wbemcli prints the HostResource path unescaped inside the value's quotes: the value ends at the
  // key's closing quote followed by its own.
  return rasds.stdout.split('\n').filter((l) => /,ResourceType=31,/.test(l)).map((l) => {
    const m = /HostResource="(?:[\w/]+:)?(.*?")"(?=,|\s*$)/.exec(l);
    expect(m, l).to.not.equal(null);
    return m![1]!;
  }).sort();
}
