// The last state change asked of a VM is kept with it in the host's store: it comes back after the
// service is reopened on the same database, can be forgotten, is unknown for a VM not defined, and
// goes with the VM when it is destroyed.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsolationService } from '../../../src/tvdc/hypervisor/IsolationService.js';
import { POLICY_1_0, rejection } from './support.js';

describe('isolation service: a VM\'s last requested state change', () => {
  let dir: string;
  let s: IsolationService | undefined;
  const open = (): IsolationService => (s = IsolationService.open({ db: join(dir, 'h.db'), hostName: 'h', initialPolicy: POLICY_1_0 }));
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tvdc-iso-req-')); });
  afterEach(() => {
    s?.close();
    s = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is undefined for a new VM, then the recorded request, also after a reopen; undefined forgets it', async () => {
    const h = open();
    expect((await h.defineVm('v', 'SecurityUnderwriting')).lastRequest).to.equal(undefined);
    expect(h.recordVmRequest('v', 'pause').lastRequest).to.equal('pause');
    expect(h.recordVmRequest('v', 'start').lastRequest).to.equal('start');
    h.close();
    const again = open();
    expect(again.getVm('v')!.lastRequest).to.equal('start');
    expect(again.listVms().find((v) => v.name === 'v')!.lastRequest).to.equal('start');
    expect(again.recordVmRequest('v', undefined).lastRequest).to.equal(undefined);
    expect(again.getVm('v')!.state).to.equal('stopped');
  });

  it('is refused for a VM that is not defined, and a redefined VM starts without one', async () => {
    const h = open();
    expect((await rejection(() => h.recordVmRequest('nope', 'start'))).code).to.equal('NOT_FOUND');
    await h.defineVm('v');
    h.recordVmRequest('v', 'stop');
    await h.destroyVm('v');
    expect((await h.defineVm('v')).lastRequest).to.equal(undefined);
  });

  it('requestVm carries a request out and keeps it; an impossible one changes nothing and keeps the previous request', async () => {
    const h = open();
    await h.defineVm('v', 'SecurityUnderwriting');
    const started = await h.requestVm('v', 'start');
    expect([started.state, started.lastRequest]).to.deep.equal(['running', 'start']);
    expect((await h.requestVm('v', 'pause')).state).to.equal('paused');
    // start from paused unpauses; asking for the state it is in changes nothing
    expect((await h.requestVm('v', 'start')).state).to.equal('running');
    expect((await h.requestVm('v', 'start')).state).to.equal('running');
    await h.requestVm('v', 'stop');
    const refused = await rejection(() => h.requestVm('v', 'suspend'));
    expect(refused.code).to.equal('INVALID_STATE');
    expect(refused.message).to.contain("VM 'v' is stopped; it cannot suspend");
    expect(h.getVm('v')!.lastRequest).to.equal('stop');
    expect((await rejection(() => h.requestVm('nope', 'start'))).code).to.equal('NOT_FOUND');
  });
});
