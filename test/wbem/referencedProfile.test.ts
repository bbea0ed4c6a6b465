// CIM_ReferencedProfile in root/interop, walked with the real wbemcli against a tvdc-host process:
// the TVDc Isolation, TVDc Integrity and Indications profiles are Antecedents (referenced,
// component profiles) of System Virtualization (the Dependent that scopes them), reachable from
// both ends; a profile that is not registered (--vtpm off: no TVDc Integrity) leaves no link.
// wbemcli -dx dumps each reply on stderr; every one is checked against the DSP0203 DTD.
import { expect } from 'chai';
import { spawnTvdcHost, type TvdcHostProcess } from '../support/TvdcHostProcess.js';
import { validateAgainstDtd, wbemcli, type ProcessResult } from './support/wbemTestKit.js';

const SV = 'TVDc_RegisteredProfile.InstanceID="DMTF:System Virtualization:1.0.0"';
const ISOLATION = 'TVDc_RegisteredProfile.InstanceID="TVDc:TVDc Isolation:1.0.0"';
const INTEGRITY = 'TVDc_RegisteredProfile.InstanceID="TVDc:TVDc Integrity:1.0.0"';
const INDICATIONS = 'TVDc_RegisteredProfile.InstanceID="DMTF:Indications:1.2.2"';
const PROFILE_REGISTRATION = 'TVDc_RegisteredProfile.InstanceID="DMTF:Profile Registration:1.0.0"';
const VIRTUAL_SYSTEM = 'TVDc_RegisteredProfile.InstanceID="DMTF:Virtual System:1.0.0"';
const MIGRATION = 'TVDc_RegisteredProfile.InstanceID="DMTF:Virtual System Migration:1.0.0"';

/** Runs wbemcli with -dx against `host`, keeping the reply bodies it dumps for DTD validation. */
function client(host: () => TvdcHostProcess, bodies: string[]) {
  return async (op: string, ...args: string[]): Promise<ProcessResult> => {
    const last = args.length - 1;
    const target = `${host().origin}/root/interop:${args[last]}`;
    const r = await wbemcli(op, '-dx', ...args.slice(0, last), target);
    // The dump prints each reply's headers, then its body, as "From server: " lines.
    const marker = 'From server: <?xml';
    const at = r.stderr.lastIndexOf(marker);
    if (at >= 0) bodies.push(r.stderr.slice(at + 'From server: '.length).trim());
    return r;
  };
}

/** wbemcli output lines, sorted (the server's order is not part of the contract). */
const lines = (r: ProcessResult): string[] => r.stdout.trim().split('\n').filter((l) => l !== '').sort();

describe('wbem: CIM_ReferencedProfile in root/interop (wbemcli, tvdc-host --vtpm swtpm)', function () {
  this.timeout(60_000);
  let host: TvdcHostProcess;
  const bodies: string[] = [];
  const cli = client(() => host, bodies);

  before(async () => {
    host = await spawnTvdcHost(['--name', 'refhost', '--port', '0', '--hypervisor', 'sim', '--vtpm', 'swtpm']);
  });
  after(async () => {
    await host?.stop();
  });

  it('ain from TVDc Isolation and from TVDc Integrity reaches System Virtualization', async () => {
    for (const profile of [ISOLATION, INTEGRITY]) {
      const r = await cli('ain', '-ac', 'CIM_ReferencedProfile', profile);
      expect(r.code, r.stderr).to.equal(0);
      expect(lines(r)).to.deep.equal([`refhost/root/interop:${SV}`]);
    }
  });

  it('ain from System Virtualization reaches the five profiles it references, and not Profile Registration', async () => {
    const r = await cli('ain', '-ac', 'CIM_ReferencedProfile', SV);
    expect(r.code, r.stderr).to.equal(0);
    expect(lines(r)).to.deep.equal([INDICATIONS, ISOLATION, INTEGRITY, VIRTUAL_SYSTEM, MIGRATION].map((p) => `refhost/root/interop:${p}`).sort());
    // Profile Registration is autonomous (DSP1033), not a component System Virtualization scopes.
    const pr = await cli('ain', '-ac', 'CIM_ReferencedProfile', PROFILE_REGISTRATION);
    expect(pr.code, pr.stderr).to.equal(0);
    expect(pr.stdout.trim()).to.equal('');
  });

  it('ai with ResultRole follows the DMTF direction: Antecedent referenced, Dependent referencing', async () => {
    const referenced = await cli('ai', '-ac', 'TVDc_ReferencedProfile', '-arr', 'Antecedent', '-arc', 'CIM_RegisteredProfile', SV);
    expect(referenced.code, referenced.stderr).to.equal(0);
    const found = lines(referenced);
    expect(found).to.have.length(5);
    const isolation = found.find((l) => l.startsWith(`refhost/root/interop:${ISOLATION} `));
    expect(isolation, referenced.stdout).to.not.equal(undefined);
    expect(isolation).to.contain('RegisteredOrganization=1').and.contain('OtherRegisteredOrganization="TVDc"')
      .and.contain('RegisteredName="TVDc Isolation"').and.contain('RegisteredVersion="1.0.0"');
    expect(found.find((l) => l.startsWith(`refhost/root/interop:${INTEGRITY} `))).to.contain('RegisteredName="TVDc Integrity"');
    expect(found.find((l) => l.startsWith(`refhost/root/interop:${INDICATIONS} `))).to.contain('RegisteredVersion="1.2.2"');

    // System Virtualization references; it is referenced by nothing here.
    const referencing = await cli('ai', '-ac', 'CIM_ReferencedProfile', '-arr', 'Dependent', SV);
    expect(referencing.code, referencing.stderr).to.equal(0);
    expect(referencing.stdout.trim()).to.equal('');
    const up = await cli('ain', '-ac', 'CIM_ReferencedProfile', '-ar', 'Antecedent', '-arr', 'Dependent', ISOLATION);
    expect(up.code, up.stderr).to.equal(0);
    expect(lines(up)).to.deep.equal([`refhost/root/interop:${SV}`]);
  });

  it('rin from either end names one TVDc_ReferencedProfile with the isolation profile as Antecedent', async () => {
    for (const from of [ISOLATION, SV]) {
      const r = await cli('rin', '-arc', 'CIM_ReferencedProfile', from);
      expect(r.code, r.stderr).to.equal(0);
      const links = lines(r).filter((l) => l.includes('TVDc Isolation'));
      expect(links, r.stdout).to.have.length(1);
      // wbemcli prints a reference-valued key without the colon before the class name.
      expect(links[0]).to.match(/^refhost\/root\/interop:TVDc_ReferencedProfile\./)
        .and.match(/Antecedent=\S*TVDc_RegisteredProfile\.InstanceID="TVDc:TVDc Isolation:1\.0\.0"/)
        .and.match(/Dependent=\S*TVDc_RegisteredProfile\.InstanceID="DMTF:System Virtualization:1\.0\.0"/);
    }
  });

  it('ei lists exactly the five links, as instances of the TVDc_ subclass', async () => {
    const r = await cli('ei', 'CIM_ReferencedProfile');
    expect(r.code, r.stderr).to.equal(0);
    const found = lines(r);
    expect(found).to.have.length(5);
    for (const l of found) expect(l).to.match(/^127\.0\.0\.1:\d+\/root\/interop:TVDc_ReferencedProfile\./).and.contain('System Virtualization:1.0.0');
  });

  it('sent only DTD-valid responses', async () => {
    expect(bodies.length).to.be.greaterThan(8);
    expect(await validateAgainstDtd(bodies)).to.equal('');
  });
});

describe('wbem: CIM_ReferencedProfile without TVDc Integrity (wbemcli, tvdc-host --vtpm off)', function () {
  this.timeout(60_000);
  let host: TvdcHostProcess;
  const bodies: string[] = [];
  const cli = client(() => host, bodies);

  before(async () => {
    host = await spawnTvdcHost(['--name', 'novtpm', '--port', '0', '--vtpm', 'off']);
  });
  after(async () => {
    await host?.stop();
  });

  it('links only the registered profiles: no dangling reference to TVDc Integrity', async () => {
    const profiles = await cli('ein', 'CIM_RegisteredProfile');
    expect(profiles.stdout).to.not.contain('TVDc Integrity');
    const r = await cli('ain', '-ac', 'CIM_ReferencedProfile', SV);
    expect(r.code, r.stderr).to.equal(0);
    expect(lines(r)).to.deep.equal([INDICATIONS, ISOLATION, VIRTUAL_SYSTEM, MIGRATION].map((p) => `novtpm/root/interop:${p}`).sort());
    const all = await cli('ein', 'CIM_ReferencedProfile');
    expect(lines(all)).to.have.length(4);
    expect(all.stdout).to.not.contain('TVDc Integrity');
  });

  it('sent only DTD-valid responses', async () => {
    expect(bodies.length).to.equal(3);
    expect(await validateAgainstDtd(bodies)).to.equal('');
  });
});
