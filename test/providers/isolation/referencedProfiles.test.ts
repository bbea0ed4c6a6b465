// The DSP1042 profile family in root/interop: Virtual System (DSP1057) and Virtual System Migration
// (DSP1081) are referenced by System Virtualization through CIM_ReferencedProfile, in the DMTF
// direction (Antecedent the referenced profile, Dependent System Virtualization), walkable with
// wbemcli from both ends.
import { expect } from 'chai';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { wbemcli } from './support/wbemcli.js';

const SV = 'TVDc_RegisteredProfile.InstanceID="DMTF:System Virtualization:1.0.0"';
const VS = 'TVDc_RegisteredProfile.InstanceID="DMTF:Virtual System:1.0.0"';
const VSM = 'TVDc_RegisteredProfile.InstanceID="DMTF:Virtual System Migration:1.0.0"';

describe('isolation providers: System Virtualization references Virtual System and Virtual System Migration', function () {
  this.timeout(60_000);
  let host: InProcessHost;
  const at = (path: string): string => `${host.origin}/root/interop:${path}`;
  const lines = (out: string): string[] => out.trim().split('\n').filter((l) => l !== '').sort();

  before(async () => {
    host = await startInProcessHost('h1');
  });
  after(() => host?.stop());

  it('from System Virtualization, the referenced (Antecedent) profiles include both', async () => {
    const r = await wbemcli(['ain', '-ac', 'CIM_ReferencedProfile', '-ar', 'Dependent', '-arr', 'Antecedent', at(SV)]);
    expect(r.code, r.stderr).to.equal(0);
    expect(lines(r.stdout)).to.include.members([`h1/root/interop:${VS}`, `h1/root/interop:${VSM}`]);
  });

  it('from each of them, System Virtualization is the referencing (Dependent) profile, and nothing is on the other side', async () => {
    for (const profile of [VS, VSM]) {
      const up = await wbemcli(['ain', '-ac', 'CIM_ReferencedProfile', '-ar', 'Antecedent', '-arr', 'Dependent', at(profile)]);
      expect(up.code, up.stderr).to.equal(0);
      expect(lines(up.stdout), profile).to.deep.equal([`h1/root/interop:${SV}`]);
      const down = await wbemcli(['ain', '-ac', 'CIM_ReferencedProfile', '-ar', 'Dependent', at(profile)]);
      expect(down.code, down.stderr).to.equal(0);
      expect(down.stdout.trim(), profile).to.equal('');
    }
  });

  it('each link is one TVDc_ReferencedProfile with the component as Antecedent and System Virtualization as Dependent', async () => {
    for (const [profile, name] of [[VS, 'Virtual System'], [VSM, 'Virtual System Migration']] as const) {
      const r = await wbemcli(['rin', '-arc', 'CIM_ReferencedProfile', at(profile)]);
      expect(r.code, r.stderr).to.equal(0);
      const links = lines(r.stdout);
      expect(links, r.stdout).to.have.length(1);
      expect(links[0]).to.match(/^h1\/root\/interop:TVDc_ReferencedProfile\./)
        .and.match(new RegExp(`Antecedent=\\S*TVDc_RegisteredProfile\\.InstanceID="DMTF:${name}:1\\.0\\.0"`))
        .and.match(/Dependent=\S*TVDc_RegisteredProfile\.InstanceID="DMTF:System Virtualization:1\.0\.0"/);
    }
  });
});
