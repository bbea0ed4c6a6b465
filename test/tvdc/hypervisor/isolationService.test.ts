import { expect } from 'chai';
import { mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsolationService } from '../../../src/tvdc/hypervisor/IsolationService.js';
import type { AccessDeniedEvent } from '../../../src/tvdc/acm/AccessDeniedEvent.js';
import { POLICY_1_0, POLICY_1_1, rejection } from './support.js';

describe('isolation service on a simulated hypervisor', () => {
  let dir: string;
  const open: IsolationService[] = [];
  const service = (host: string, label?: string, policy = POLICY_1_0): IsolationService => {
    const s = IsolationService.open({ db: join(dir, `${host}.db`), hostName: host, initialPolicy: policy, ...(label ? { hostLabel: label } : {}) });
    open.push(s);
    return s;
  };
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tvdc-iso-')); });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("decides the paper's Figure 3 cases at the hypervisor hooks, logging and announcing denials", async () => {
    const h = service('host1');
    const denied: AccessDeniedEvent[] = [];
    h.onDenied((e) => denied.push(e));
    await h.defineVm('mgmt', 'SystemManagement');
    await h.defineVm('ma', 'MarketAnalysis');
    await h.defineVm('su', 'SecurityUnderwriting');
    for (const vm of ['mgmt', 'ma', 'su']) await h.startVm(vm);
    h.createDisk({ name: 'su-disk', path: join(dir, 'su.img'), sizeBytes: 4096, label: 'SecurityUnderwriting' });

    h.openChannel('ma', 'mgmt'); // case 1
    h.openChannel('su', 'mgmt'); // case 2
    const e3 = await rejection(() => h.openChannel('ma', 'su')); // case 3
    expect(e3.code).to.equal('ACCESS_DENIED');
    expect(e3.message).to.match(/share no STE type/);
    h.attachDisk('su', 'su-disk'); // case 4
    const e5 = await rejection(() => h.attachDisk('ma', 'su-disk')); // case 5
    expect(e5.code).to.equal('ACCESS_DENIED');

    expect(h.getVm('ma')!.channels).to.deep.equal(['mgmt']);
    expect(h.getVm('ma')!.disks).to.deep.equal([]);
    expect(h.getVm('su')!.disks).to.deep.equal(['su-disk']);
    expect(denied.map((d) => [d.operation, d.subject, d.object, d.rule])).to.deep.equal([
      ['open-channel', 'ma', 'su', 'share'],
      ['attach-disk', 'ma', 'su-disk', 'access'],
    ]);
    const log = h.auditLog();
    expect(log).to.have.length(2);
    expect(log[0]).to.include({ operation: 'attach-disk', subjectLabel: 'MarketAnalysis', objectLabel: 'SecurityUnderwriting', host: 'host1' });

    // CheckAccess answers the same questions without side effects.
    expect(h.checkAccess({ kind: 'vm', name: 'ma' }, { kind: 'vm', name: 'mgmt' }).permitted).to.equal(true);
    expect(h.checkAccess({ kind: 'vm', name: 'ma' }, { kind: 'disk', name: 'su-disk' }).permitted).to.equal(false);
    expect(h.checkAccess({ kind: 'vm', name: 'su' }, { kind: 'host', name: 'host1' }).permitted).to.equal(true);
    expect(h.auditLog()).to.have.length(2);
  });

  it('refuses to start a VM whose types the host label does not cover, and leaves it stopped', async () => {
    const h = service('ma-host', 'MarketAnalysisHost');
    await h.defineVm('su', 'SecurityUnderwriting');
    const e = await rejection(() => h.startVm('su'));
    expect(e.code).to.equal('ACCESS_DENIED');
    expect(e.message).to.match(/run denied.*'SU'/);
    expect(h.getVm('su')!.state).to.equal('stopped');
    expect(h.auditLog()[0]).to.include({ operation: 'start', rule: 'run', object: 'ma-host' });
  });

  it('enforces Chinese Wall on start and resume, and restores the counts after a restart', async () => {
    let h = service('host1', undefined, POLICY_1_1);
    await h.defineVm('ma', 'MarketAnalysis');
    await h.defineVm('su', 'SecurityUnderwriting');
    await h.startVm('ma');
    const e = await rejection(() => h.startVm('su'));
    expect(e.message).to.match(/conflict set 'MA-SU'.*running VM 'ma'/);
    await h.suspendVm('ma');
    await h.startVm('su'); // a suspended VM is not in the hypervisor
    const r = await rejection(() => h.resumeVm('ma'));
    expect(r.code).to.equal('ACCESS_DENIED');
    expect(h.getVm('ma')!.state).to.equal('suspended');

    // The agent restarts: VMs, labels and running counts come back from the store.
    h.close();
    open.length = 0;
    h = service('host1', undefined, POLICY_1_1);
    expect(h.listVms().map((v) => [v.name, v.label, v.state])).to.deep.equal([
      ['ma', 'MarketAnalysis', 'suspended'],
      ['su', 'SecurityUnderwriting', 'running'],
    ]);
    expect(h.activePolicy().header.version).to.equal('1.1');
    expect((await rejection(() => h.resumeVm('ma'))).code).to.equal('ACCESS_DENIED');
    await h.stopVm('su');
    await h.resumeVm('ma');
    expect(h.getVm('ma')!.state).to.equal('running');
  });

  it('refuses a migration in that would break Chinese Wall on the destination; the VM keeps running at home', async () => {
    const a = service('hostA', undefined, POLICY_1_1);
    const b = service('hostB', undefined, POLICY_1_1);
    await a.defineVm('ma', 'MarketAnalysis');
    await a.startVm('ma');
    await b.defineVm('su', 'SecurityUnderwriting');
    await b.startVm('su');
    const denied: AccessDeniedEvent[] = [];
    b.onDenied((d) => denied.push(d));
    const e = await rejection(() => a.migrateTo('ma', b));
    expect(e.code).to.equal('ACCESS_DENIED');
    expect(a.getVm('ma')!.state).to.equal('running');
    expect(b.getVm('ma')).to.equal(undefined);
    expect(denied[0]).to.include({ operation: 'migrate-in', subject: 'ma', rule: 'collocation', object: 'su' });

    await b.stopVm('su');
    const moved = await a.migrateTo('ma', b);
    expect(moved).to.include({ name: 'ma', state: 'running', host: 'hostB' });
    expect(a.getVm('ma')).to.equal(undefined);
    // Now SU cannot start beside it on B.
    expect((await rejection(() => b.startVm('su'))).code).to.equal('ACCESS_DENIED');
  });

  it('checks run-on-host on migration in, through the ticket as well', async () => {
    const a = service('hostA');
    const b = service('hostB', 'MarketAnalysisHost');
    await a.defineVm('su', 'SecurityUnderwriting');
    await a.startVm('su');
    const ticket = await a.migrateOut('su');
    expect(ticket).to.include({ vm: 'su', label: 'SecurityUnderwriting', fromHost: 'hostA' });
    expect(b.hypervisor.checkMigrateIn(ticket)).to.include({ permitted: false, rule: 'run' });
    const e = await rejection(() => b.migrateIn(ticket));
    expect(e.code).to.equal('ACCESS_DENIED');
    expect(b.listVms()).to.deep.equal([]);
    await a.migrateIn(ticket);
    expect(a.getVm('su')!.state).to.equal('running');
  });

  it('lets lifecycle listeners follow VMs, carry data across a migration, and veto a start', async () => {
    const a = service('hostA');
    const b = service('hostB');
    const seen: string[] = [];
    a.addLifecycleListener({
      onDefine: (vm) => { seen.push(`define ${vm.name}`); },
      onStart: (vm) => { seen.push(`start ${vm.name}`); },
      onStop: (vm) => { seen.push(`stop ${vm.name}`); },
      onMigrateOut: (vm, t) => { seen.push(`out ${vm.name}`); t.extensions.vtpm = { state: 'abc' }; },
      onDestroy: (vm) => { seen.push(`destroy ${vm.name}`); },
    });
    let carried: unknown;
    b.addLifecycleListener({ onMigrateIn: (_vm, t) => { carried = t.extensions.vtpm; } });
    await a.defineVm('ma', 'MarketAnalysis');
    await a.startVm('ma');
    await a.stopVm('ma');
    await a.startVm('ma');
    await a.migrateTo('ma', b);
    expect(carried).to.deep.equal({ state: 'abc' });
    await a.defineVm('x', 'MarketAnalysis');
    await a.destroyVm('x');
    expect(seen).to.deep.equal(['define ma', 'start ma', 'stop ma', 'start ma', 'out ma', 'define x', 'destroy x']);

    const off = b.addLifecycleListener({ onStart: () => { throw new Error('vTPM would not start'); } });
    await b.defineVm('su', 'SecurityUnderwriting');
    const e = await rejection(() => b.startVm('su'));
    expect(e.message).to.equal('vTPM would not start');
    expect(b.getVm('su')!.state).to.equal('stopped');
    off();
    await b.startVm('su');
  });

  it('a listener that cannot follow a definition undoes it: no VM, its disk free, and the listeners told it is gone', async () => {
    const h = service('hostA');
    h.createDisk({ name: 'd', path: join(dir, 'dd.img'), sizeBytes: 1024, label: 'MarketAnalysis' });
    const seen: string[] = [];
    h.addLifecycleListener({ onDefine: (vm) => { seen.push(`define ${vm.name}`); }, onDestroy: (vm) => { seen.push(`destroy ${vm.name}`); } });
    const off = h.addLifecycleListener({ onDefine: () => { throw new Error('no vTPM could be made'); } });
    const e = await rejection(() => h.defineVm('ma', 'MarketAnalysis', [{ kind: 'disk', name: 'd' }]));
    expect(e.message).to.equal('no vTPM could be made');
    expect(h.getVm('ma')).to.equal(undefined);
    expect(seen).to.deep.equal(['define ma', 'destroy ma']);
    off();
    expect((await h.defineVm('ma', 'MarketAnalysis', [{ kind: 'disk', name: 'd' }])).disks).to.deep.equal(['d']);
  });

  it('a damaged departure record is left out of the list (logged), not a failure of every listing; asked for by name it is IO_FAILED', async () => {
    const h = service('hostA');
    for (const v of ['d1', 'd2']) {
      await h.defineVm(v, 'MarketAnalysis');
      await h.startVm(v);
      await h.migrateOut(v, 'http://b:5988');
    }
    h.db.prepare("UPDATE iso_vm_departures SET ticket = '{not json' WHERE vm = 'd1'").run();
    const logged: string[] = [];
    const error = console.error;
    console.error = (m: string) => void logged.push(m);
    try {
      expect(h.departures().map((d) => d.vm)).to.deep.equal(['d2']);
    } finally {
      console.error = error;
    }
    expect(logged).to.have.length(1);
    expect(logged[0]).to.match(/^tvdc isolation: departure record of VM 'd1' left out: the departure record of VM 'd1' is unreadable: .+ \(the row stays in host\.db\)$/);
    expect((await rejection(() => h.hypervisor.departure('d1'))).code).to.equal('IO_FAILED');
  });

  it('updates the policy atomically: a conflicting update changes nothing and lists every conflict', async () => {
    const h = service('host1', 'MarketAnalysisHost');
    await h.defineVm('ma1', 'MarketAnalysis');
    await h.defineVm('ma2', 'MarketAnalysis');
    for (const v of ['ma1', 'ma2']) await h.startVm(v);
    h.createDisk({ name: 'd', path: join(dir, 'd.img'), sizeBytes: 1024, label: 'MarketAnalysis' });
    h.attachDisk('ma1', 'd');

    // A 1.1 that drops the MarketAnalysis VM label and moves the MA disk label to SU.
    const breaking = POLICY_1_1.replace('<Name>MarketAnalysis</Name>\n        <SimpleTypeEnforcementTypes>\n          <Type>MA</Type>\n        </SimpleTypeEnforcementTypes>\n        <ChineseWallTypes>\n          <Type>MA</Type>\n        </ChineseWallTypes>', '<Name>Other</Name>\n        <SimpleTypeEnforcementTypes>\n          <Type>MA</Type>\n        </SimpleTypeEnforcementTypes>');
    expect(breaking).to.not.equal(POLICY_1_1);
    const r = h.setPolicy(breaking);
    expect(r.ok).to.equal(false);
    expect(r.conflicts.map((c) => [c.element.name, c.rule])).to.deep.equal([
      ['ma1', 'label-removed'],
      ['ma2', 'label-removed'],
    ]);
    expect(h.activePolicy().header.version).to.equal('1.0');

    // The real 1.1 renames the host label and adds {MA, SU}; with only MA running it goes through.
    const ok = h.setPolicy(POLICY_1_1);
    expect(ok).to.deep.equal({ ok: true, errors: [], conflicts: [] });
    expect(h.host().label).to.equal('MarketAnalysisOnlyHost');
    expect(h.activePolicy().header.version).to.equal('1.1');
    expect(h.listConflictSets()).to.deep.equal([{ key: 'MA-SU', name: 'MA-SU', types: ['MA', 'SU'] }]);
  });

  it('leaves everything as it was when storing an update fails half-way', async () => {
    const h = service('host1', 'MarketAnalysisHost');
    await h.defineVm('x', 'MarketAnalysisHost');
    // Fail the transaction after the relabels, when the new policy row is written.
    h.db.exec("CREATE TRIGGER fail_policy BEFORE INSERT ON iso_policy WHEN NEW.slot = 'active' BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    const e = await rejection(() => h.setPolicy(POLICY_1_1));
    expect(e.code).to.equal('IO_FAILED');
    expect(e.message).to.contain('disk full');
    expect(h.getVm('x')!.label).to.equal('MarketAnalysisHost');
    expect(h.host().label).to.equal('MarketAnalysisHost');
    expect(h.activePolicy().header.version).to.equal('1.0');
    h.db.exec('DROP TRIGGER fail_policy');
    expect(h.setPolicy(POLICY_1_1).ok).to.equal(true);
    expect(h.getVm('x')!.label).to.equal('MarketAnalysisOnlyHost');
    expect(h.host().label).to.equal('MarketAnalysisOnlyHost');
  });

  it('refuses an update that would strand running VMs, naming each VM and rule', async () => {
    const h = service('host1');
    await h.defineVm('ma', 'MarketAnalysis');
    await h.defineVm('su', 'SecurityUnderwriting');
    await h.startVm('ma');
    await h.startVm('su');
    const r = h.setPolicy(POLICY_1_1);
    expect(r.ok).to.equal(false);
    expect(r.conflicts.map((c) => [c.element.name, c.rule, c.related?.name])).to.deep.equal([
      ['ma', 'collocation', 'su'],
      ['su', 'collocation', 'ma'],
    ]);
    expect(r.errors[0]).to.match(/VM 'ma'.*conflict set 'MA-SU'/);
    // Nothing changed, in memory or on disk.
    expect(h.activePolicy().header.version).to.equal('1.0');
    expect(h.listConflictSets()).to.deep.equal([]);
    h.close();
    open.length = 0;
    const again = service('host1');
    expect(again.activePolicy().header.version).to.equal('1.0');
  });

  it('applies the FromPolicy and version rules of a policy update', () => {
    const h = service('host1');
    const same = h.setPolicy(POLICY_1_0);
    expect(same.ok).to.equal(false);
    expect(same.conflicts.map((c) => c.rule)).to.deep.equal(['from-policy', 'version']);
    const wrongFrom = h.setPolicy(POLICY_1_1.replace('<PolicyName>tvdc-paper</PolicyName>\n      <Version>1.0</Version>', '<PolicyName>tvdc-paper</PolicyName>\n      <Version>0.9</Version>'));
    expect(wrongFrom.conflicts.map((c) => c.rule)).to.deep.equal(['from-policy']);
    const badRename = h.setPolicy(POLICY_1_1.replace('from="MarketAnalysisHost"', 'from="NoSuchLabel"'));
    expect(badRename.conflicts.map((c) => c.rule)).to.deep.equal(['bad-rename']);
    const invalid = h.setPolicy('<SecurityPolicyDefinition xmlns="http://www.ibm.com">\n<PolicyHeader/>', { file: 'p.xml' });
    expect(invalid.ok).to.equal(false);
    expect(invalid.errors[0]).to.match(/^p\.xml:\d+:\d+: /);
    // SetPolicy without activation, then ActivatePolicy.
    expect(h.setPolicy(POLICY_1_1, { activate: false }).ok).to.equal(true);
    expect(h.activePolicy().header.version).to.equal('1.0');
    expect(h.pendingPolicy()?.header.version).to.equal('1.1');
    expect(h.activatePolicy().ok).to.equal(true);
    expect(h.activePolicy().header.version).to.equal('1.1');
  });

  it('replays labels through an update: renames follow from=, deleted resource labels become __INACCESSIBLE__', async () => {
    const h = service('host1');
    h.createDisk({ name: 'sys', path: join(dir, 'sys.img'), sizeBytes: 512, label: 'SystemManagement' });
    await h.defineVm('old', 'MarketAnalysisHost');
    const next = POLICY_1_1.replace(/<ResourceLabel>\s*<Name>SystemManagement<\/Name>[\s\S]*?<\/ResourceLabel>/, '');
    const r = h.setPolicy(next);
    expect(r.ok, r.errors.join('; ')).to.equal(true);
    expect(h.getVm('old')!.label).to.equal('MarketAnalysisOnlyHost');
    expect(h.listDisks()[0]!.label).to.equal('__INACCESSIBLE__');
    await h.defineVm('user', 'SystemManagement');
    expect((await rejection(() => h.attachDisk('user', 'sys'))).code).to.equal('ACCESS_DENIED');
  });

  it('never lets a disk used under one label take an unrelated label until it is sanitized', async () => {
    const h = service('host1');
    const path = join(dir, 'shared.img');
    h.createDisk({ name: 'shared', path, sizeBytes: 3 * 1024 * 1024 + 5, label: 'MarketAnalysis' });
    // Fresh disks may be relabeled freely.
    h.assignLabel({ kind: 'disk', name: 'shared' }, 'SecurityUnderwriting');
    h.assignLabel({ kind: 'disk', name: 'shared' }, 'MarketAnalysis');
    await h.defineVm('ma', 'MarketAnalysis');
    h.attachDisk('ma', 'shared');
    await h.startVm('ma');
    writeFileSync(path, Buffer.alloc(3 * 1024 * 1024 + 5, 0xab));
    expect(h.listDisks()[0]!.usedTypes).to.deep.equal(['MA']);
    const e = await rejection(() => h.assignLabel({ kind: 'disk', name: 'shared' }, 'SecurityUnderwriting'));
    expect(e.code).to.equal('ACCESS_DENIED');
    expect(e.message).to.match(/sanitize it first/);
    expect((await rejection(() => h.sanitize('shared', 'alice'))).code).to.equal('INVALID_STATE');
    await h.stopVm('ma');
    h.detachDisk('ma', 'shared');
    const d = h.sanitize('shared', 'alice');
    expect(d.sanitizedBy).to.equal('alice');
    expect(Date.parse(d.sanitizedAt!)).to.be.closeTo(Date.now(), 60_000);
    const bytes = readFileSync(path);
    expect(bytes.length).to.equal(3 * 1024 * 1024 + 5);
    expect(bytes.every((b) => b === 0)).to.equal(true);
    h.assignLabel({ kind: 'disk', name: 'shared' }, 'SecurityUnderwriting');
    expect(h.listDisks()[0]).to.include({ label: 'SecurityUnderwriting' });
    expect(h.listDisks()[0]!.usedTypes).to.deep.equal([]);
  });

  it('keeps labels under management control: running VMs cannot be relabeled, unknown labels are refused', async () => {
    const h = service('host1');
    expect((await rejection(() => h.defineVm('x', 'NoSuchLabel'))).code).to.equal('LABEL_UNKNOWN');
    await h.defineVm('x', 'MarketAnalysis');
    await h.startVm('x');
    expect((await rejection(() => h.assignLabel({ kind: 'vm', name: 'x' }, 'SecurityUnderwriting'))).code).to.equal('INVALID_STATE');
    await h.stopVm('x');
    h.assignLabel({ kind: 'vm', name: 'x' }, 'SecurityUnderwriting');
    expect(h.getVm('x')!.label).to.equal('SecurityUnderwriting');
    h.removeLabel({ kind: 'vm', name: 'x' });
    expect(h.getVm('x')!.label).to.equal(undefined);
    // The host label must keep running VMs runnable.
    await h.defineVm('su', 'SecurityUnderwriting');
    await h.startVm('su');
    expect((await rejection(() => h.assignLabel({ kind: 'host', name: 'host1' }, 'MarketAnalysisHost'))).code).to.equal('ACCESS_DENIED');
    expect(h.host().label).to.equal('SystemManagement');
    expect((await rejection(() => h.defineVm('bad name!'))).code).to.equal('INVALID_ARGUMENT');
  });

  it('lists labels and conflict sets with their types', () => {
    const h = service('host1', undefined, POLICY_1_1);
    const labels = h.listLabels();
    expect(labels.find((l) => l.name === 'SystemManagement' && l.kind === 'vm')).to.deep.equal({ name: 'SystemManagement', kind: 'vm', ste: ['SystemManagement', 'MA', 'SU'], cw: ['SystemManagement'] });
    expect(labels.find((l) => l.name === 'SecurityUnderwriting' && l.kind === 'resource')).to.deep.equal({ name: 'SecurityUnderwriting', kind: 'resource', ste: ['SU'], cw: [] });
    expect(labels.some((l) => l.name.startsWith('__'))).to.equal(false);
    expect(h.activePolicyXml()).to.contain('<Conflict name="MA-SU">');
  });

  it('keeps a paused VM in Chinese Wall and in policy updates; reboot decides again', async () => {
    const h = service('host1', undefined, POLICY_1_1);
    await h.defineVm('ma', 'MarketAnalysis');
    await h.defineVm('su', 'SecurityUnderwriting');
    await h.startVm('ma');
    await h.pauseVm('ma');
    expect((await rejection(() => h.startVm('su'))).code).to.equal('ACCESS_DENIED');
    expect((await rejection(() => h.assignLabel({ kind: 'vm', name: 'ma' }, 'SecurityUnderwriting'))).code).to.equal('INVALID_STATE');
    await h.unpauseVm('ma');
    expect((await h.rebootVm('ma')).state).to.equal('running');
    await h.stopVm('ma');
    await h.startVm('su');
    expect(h.getVm('su')!.state).to.equal('running');
  });

  it('will not start a VM whose label a policy update deleted', async () => {
    const h = service('host1');
    await h.defineVm('old', 'MarketAnalysis');
    const next = POLICY_1_1.replace(/<VirtualMachineLabel>\s*<Name>MarketAnalysis<\/Name>[\s\S]*?<\/VirtualMachineLabel>/, '');
    expect(next).to.not.equal(POLICY_1_1);
    expect(h.setPolicy(next).ok).to.equal(true);
    expect(h.getVm('old')!.label).to.equal('__INACCESSIBLE__');
    const e = await rejection(() => h.startVm('old'));
    expect(e.code).to.equal('ACCESS_DENIED');
    expect(h.auditLog()[0]).to.include({ rule: 'label', subject: 'old' });
    h.assignLabel({ kind: 'vm', name: 'old' }, 'SecurityUnderwriting');
    await h.startVm('old');
  });
});

describe('disk paths from management clients', () => {
  let dir: string;
  let h: IsolationService;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-paths-'));
    h = IsolationService.open({ db: join(dir, 'h.db'), hostName: 'h', initialPolicy: POLICY_1_0 });
  });
  afterEach(() => {
    h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stay inside the disk directory, so sanitize can never overwrite another file', async () => {
    symlinkSync('/etc', join(dir, 'etc-link'));
    symlinkSync('/etc/hostname', join(dir, 'host-link.img'));
    for (const bad of ['../outside.img', '/etc/hostname', 'etc-link/hostname', 'host-link.img', 'missing-dir/x.img']) {
      const e = await rejection(() => h.createDisk({ name: 'x', path: bad, sizeBytes: 1 }));
      expect(e.code, bad).to.equal('INVALID_ARGUMENT');
    }
    const d = h.createDisk({ name: 'ok', path: 'ok.img', sizeBytes: 8 });
    expect(d.path).to.equal(join(realpathSync(dir), 'ok.img'));
  });
});

describe('a host that boots without a policy', () => {
  let dir: string;
  let h: IsolationService;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-boot-'));
    h = IsolationService.open({ db: join(dir, 'h.db'), hostName: 'h' });
  });
  afterEach(() => {
    h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs Xen's DEFAULT policy, where unlabeled VMs may talk to management, until a policy replaces it", async () => {
    expect(h.activePolicy().header.name).to.equal('DEFAULT');
    expect(h.host().label).to.equal('SystemManagement');
    await h.defineVm('mgmt', 'SystemManagement');
    await h.defineVm('anon');
    await h.startVm('mgmt');
    await h.startVm('anon');
    h.openChannel('anon', 'mgmt');
    // The paper policy replaces DEFAULT without FromPolicy; unlabeled now means no types at all.
    h.closeChannel('anon', 'mgmt');
    const r = h.setPolicy(POLICY_1_0);
    expect(r.ok, r.errors.join('; ')).to.equal(true);
    expect(h.checkAccess({ kind: 'vm', name: 'anon' }, { kind: 'vm', name: 'mgmt' })).to.include({ permitted: false, rule: 'share' });
    expect((await rejection(() => h.openChannel('anon', 'mgmt'))).code).to.equal('ACCESS_DENIED');
  });

  it('refuses an update that would cut an open channel', async () => {
    await h.defineVm('mgmt', 'SystemManagement');
    await h.defineVm('anon');
    await h.startVm('mgmt');
    await h.startVm('anon');
    h.openChannel('anon', 'mgmt');
    const r = h.setPolicy(POLICY_1_0);
    expect(r.ok).to.equal(false);
    expect(r.conflicts.map((c) => [c.element.name, c.rule, c.related?.name])).to.deep.equal([['anon', 'share', 'mgmt']]);
  });
});
