// The management domain on its own, over real SQLite files: intervals, plan validation and
// matching, the engine's order and failure handling, the event log's filters, and the scheduler
// (runs what is due, never two runs of one group, at most N groups at once, carries on after a
// restart from what the database says).
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Db } from '../../src/store/Store.js';
import { planMatches, validatePlan, type ActionPlan } from '../../src/tvdc/management/ActionPlan.js';
import { ActionPlanEngine, DUPLICATE_VM_NAME, type ActionEffects } from '../../src/tvdc/management/ActionPlanEngine.js';
import { ActionPlanStore } from '../../src/tvdc/management/ActionPlanStore.js';
import { AttestationScheduleStore, formatInterval, parseInterval } from '../../src/tvdc/management/AttestationSchedule.js';
import { AttestationScheduler } from '../../src/tvdc/management/AttestationScheduler.js';
import { EventLog } from '../../src/tvdc/management/EventLog.js';
import { canonicalPrefix, prefixAllows } from '../../src/tvdc/management/NotifyTarget.js';
import { NotifyTargetStore } from '../../src/tvdc/management/NotifyTargetStore.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Effects that record what they were asked to do in `calls`; a notify to a URL with "broken" in it fails. */
function recordingEffects(calls: string[]): ActionEffects {
  return {
    shutdown: async (t) => void calls.push(`shutdown ${t.host}/${t.vm}`),
    restart: async (t) => void calls.push(`restart ${t.host}/${t.vm}`),
    notify: async (url) => {
      calls.push(`notify ${url}`);
      if (url.includes('broken')) throw new Error('connection refused');
    },
  };
}

describe('management domain: plans, events, schedules (SQLite files)', () => {
  let dir: string;
  let file: string;
  let db: Db;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-mgmt-dom-'));
    file = join(dir, 'server.db');
    db = openStore(file);
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('intervals: 30s, 10m, 1h30m, 2d read and print back; anything else is refused with the rule', () => {
    expect(parseInterval('30s')).to.equal(30_000);
    expect(parseInterval('10m')).to.equal(600_000);
    expect(parseInterval('1h30m')).to.equal(5_400_000);
    expect(parseInterval('2d')).to.equal(172_800_000);
    expect(formatInterval(5_400_000)).to.equal('1h30m');
    expect(formatInterval(parseInterval('90s'))).to.equal('1m30s');
    for (const bad of ['', '10', '5x', '1.5h', '-1m', 'm10']) expect(() => parseInterval(bad), bad).to.throw(/is not a duration like 30s/);
    expect(() => parseInterval('0s')).to.throw(/from 1s to 366d/);
    expect(() => parseInterval('400d')).to.throw(/from 1s to 366d/);
  });

  it('plans: validation names the problem; matching by group, trigger and VM glob; power actions never apply to hosts', () => {
    const p = validatePlan({ group: 'g', on: 'untrusted, unknown,untrusted', action: 'shutdown', vmPattern: 'web-?*', createdBy: 'a' });
    expect(p).to.deep.equal({ group: 'g', on: ['untrusted', 'unknown'], action: { kind: 'shutdown' }, vmPattern: 'web-?*', createdBy: 'a' });
    expect(validatePlan({ group: 'g', on: [' failed', 'unknown '], action: 'restart', createdBy: 'a' }).on).to.deep.equal(['failed', 'unknown']);
    expect(() => validatePlan({ group: 'g', on: [], action: 'shutdown', createdBy: 'a' })).to.throw(/on must name one or more/);
    expect(() => validatePlan({ group: 'g', on: [3], action: 'shutdown', createdBy: 'a' })).to.throw(/"3" is not one of/);
    expect(() => validatePlan({ group: 'g', on: ['trusted'], action: 'shutdown', createdBy: 'a' })).to.throw(/"trusted" is not one of/);
    expect(() => validatePlan({ group: 'g', on: ['failed'], action: 'reboot', createdBy: 'a' })).to.throw(/action must be one of shutdown, restart, notify/);
    expect(() => validatePlan({ group: 'g', on: ['failed'], action: 'restart', url: 'http://x/', createdBy: 'a' })).to.throw(/takes no url/);
    expect(() => validatePlan({ group: 'g', on: ['failed'], action: 'notify', url: 'http://u:p@x/', createdBy: 'a' })).to.throw(/user name or password/);
    expect(() => validatePlan({ group: 'g', on: ['failed'], action: 'shutdown', vmPattern: '(.*)', createdBy: 'a' })).to.throw(/vm pattern/);
    const plan = (x: Partial<ActionPlan>): ActionPlan => ({ id: 1, group: 'g', on: ['untrusted'], action: { kind: 'shutdown' }, createdBy: 'a', createdAt: '', ...x });
    expect(planMatches(plan({ vmPattern: 'web-*' }), { group: 'g', vm: 'web-1', status: 'untrusted' })).to.equal(true);
    expect(planMatches(plan({ vmPattern: 'web-*' }), { group: 'g', vm: 'db-1', status: 'untrusted' })).to.equal(false);
    expect(planMatches(plan({ vmPattern: 'web.1' }), { group: 'g', vm: 'webx1', status: 'untrusted' })).to.equal(false);
    expect(planMatches(plan({}), { group: 'other', vm: 'web-1', status: 'untrusted' })).to.equal(false);
    expect(planMatches(plan({}), { group: 'g', vm: 'web-1', status: 'unknown' })).to.equal(false);
    expect(planMatches(plan({ on: ['untrusted', 'unknown', 'failed'] }), { group: 'g', vm: 'web-1', status: 'trusted' })).to.equal(false);
    expect(planMatches(plan({}), { group: 'g', status: 'untrusted' }), 'a host is never shut down').to.equal(false);
    expect(planMatches(plan({ action: { kind: 'notify', url: 'http://x/' } }), { group: 'g', status: 'untrusted' })).to.equal(true);
    expect(planMatches(plan({ action: { kind: 'notify', url: 'http://x/' }, vmPattern: '*' }), { group: 'g', status: 'untrusted' })).to.equal(false);
    expect(planMatches(plan({}), { group: null, vm: 'web-1', status: 'untrusted' })).to.equal(false);
  });

  it('the engine runs notifications first and one power action (shutdown over restart); a failing effect is a failed action event and the rest still run', async () => {
    const events = new EventLog(db);
    const plans = new ActionPlanStore(db);
    const calls: string[] = [];
    const effects = recordingEffects(calls);
    const targets = new NotifyTargetStore(db);
    targets.add('http://broken.invalid', 'root');
    targets.add('http://ok.invalid/', 'root');
    const engine = new ActionPlanEngine(plans, events, effects, targets);
    const add = (action: string, url?: string) => plans.add(validatePlan({ group: 'g', on: ['untrusted'], action, ...(url ? { url } : {}), createdBy: 'a' }));
    add('restart');
    const sd = add('shutdown');
    add('notify', 'http://broken.invalid/');
    add('notify', 'http://ok.invalid/');
    const ev = events.record({ kind: 'attestation', group: 'g', host: 'h', vm: 'v', status: 'untrusted', message: 'x' });
    const actions = await engine.handle(ev);
    expect(calls).to.deep.equal(['notify http://broken.invalid/', 'notify http://ok.invalid/', 'shutdown h/v']);
    expect(actions.map((a) => [a.action, a.status])).to.deep.equal([['notify', 'failed'], ['notify', 'done'], ['shutdown', 'done']]);
    expect(actions[0]!.message).to.include('connection refused');
    expect(actions[2]).to.deep.include({ planId: sd.id, cause: ev.id, kind: 'action', group: 'g', vm: 'v' });
    // Trusted outcomes trigger nothing.
    calls.length = 0;
    expect(await engine.handle(events.record({ kind: 'attestation', group: 'g', host: 'h', vm: 'v', status: 'trusted', message: 'ok' }))).to.deep.equal([]);
    expect(calls).to.deep.equal([]);
    expect(() => plans.remove(9999)).to.throw(/no action plan 9999/);
  });

  it('a notify plan tells of a change of verdict once, tries a failed notification again, and tells again after the verdict changed', async () => {
    const events = new EventLog(db);
    const plans = new ActionPlanStore(db);
    const sent: string[] = [];
    let failing = true;
    const effects: ActionEffects = {
      shutdown: async () => undefined,
      restart: async () => undefined,
      notify: async (_url, e) => {
        if (failing) throw new Error('listener down');
        sent.push(`${e.vm ?? e.host} ${e.status}`);
      },
    };
    const targets = new NotifyTargetStore(db);
    targets.add('http://ops.invalid/', 'root');
    const engine = new ActionPlanEngine(plans, events, effects, targets);
    plans.add(validatePlan({ group: 'g', on: ['unknown', 'untrusted'], action: 'notify', url: 'http://ops.invalid/hook', createdBy: 'a' }));
    const attest = (status: 'trusted' | 'unknown' | 'untrusted', vm?: string, host = 'h1') =>
      engine.handle(events.record({ kind: 'attestation', group: 'g', host, ...(vm ? { vm } : {}), status, message: status }));
    const statuses = (xs: { status: string }[]) => xs.map((x) => x.status);
    expect(statuses(await attest('unknown', 'v'))).to.deep.equal(['failed']); // the listener is down
    failing = false;
    expect(statuses(await attest('unknown', 'v'))).to.deep.equal(['done']); // tried again
    expect(await attest('unknown', 'v')).to.deep.equal([]); // told already
    expect(statuses(await attest('unknown', 'v', 'h2'))).to.deep.equal(['done']); // the VM on another host: told of there
    expect(statuses(await attest('unknown', 'w'))).to.deep.equal(['done']); // another VM
    expect(statuses(await attest('unknown'))).to.deep.equal(['done']); // the host itself is a target of its own
    expect(statuses(await attest('untrusted', 'v'))).to.deep.equal(['done']); // the verdict changed
    expect(await attest('trusted', 'v')).to.deep.equal([]);
    expect(statuses(await attest('untrusted', 'v'))).to.deep.equal(['done']); // untrusted again after a trusted run
    expect(sent).to.deep.equal(['v unknown', 'v unknown', 'w unknown', 'h1 unknown', 'v untrusted', 'v untrusted']);
  });

  it('a restart plan restarts once per run of a verdict (a bad image does not make a restart loop); a shutdown plan acts every time', async () => {
    const events = new EventLog(db);
    const plans = new ActionPlanStore(db);
    const calls: string[] = [];
    let restartFails = true;
    const effects: ActionEffects = {
      ...recordingEffects(calls),
      restart: async (t) => {
        calls.push(`restart ${t.host}/${t.vm}`);
        if (restartFails) throw new Error('host unreachable');
      },
    };
    const engine = new ActionPlanEngine(plans, events, effects, new NotifyTargetStore(db));
    plans.add(validatePlan({ group: 'g', on: ['untrusted'], vmPattern: 'web*', action: 'restart', createdBy: 'a' }));
    plans.add(validatePlan({ group: 'g', on: ['untrusted'], vmPattern: 'db*', action: 'shutdown', createdBy: 'a' }));
    const attest = (status: 'trusted' | 'untrusted', vm: string) =>
      engine.handle(events.record({ kind: 'attestation', group: 'g', host: 'h', vm, status, message: status }));
    const statuses = (xs: { status: string }[]) => xs.map((x) => x.status);
    expect(statuses(await attest('untrusted', 'web1'))).to.deep.equal(['failed']); // the host did not answer
    restartFails = false;
    expect(statuses(await attest('untrusted', 'web1'))).to.deep.equal(['done']); // tried again
    expect(await attest('untrusted', 'web1')).to.deep.equal([]); // still untrusted after the restart: not again
    expect(await attest('untrusted', 'web1')).to.deep.equal([]);
    expect(await attest('trusted', 'web1')).to.deep.equal([]);
    expect(statuses(await attest('untrusted', 'web1'))).to.deep.equal(['done']); // a new run of the verdict
    expect(statuses(await attest('untrusted', 'db1'))).to.deep.equal(['done']);
    expect(statuses(await attest('untrusted', 'db1'))).to.deep.equal(['done']); // running again, so stopped again
    expect(calls).to.deep.equal(['restart h/web1', 'restart h/web1', 'restart h/web1', 'shutdown h/db1', 'shutdown h/db1']);
  });

  it('notification target prefixes match by parsed URL: scheme, host, port, and path on a segment boundary', () => {
    const allows = (prefix: string, url: string) => prefixAllows(canonicalPrefix(prefix), url);
    // The host is the whole host, never a string prefix of it, nor a user name before it.
    expect(allows('https://ops.example', 'https://ops.example/hook')).to.equal(true);
    expect(allows('https://ops.example', 'https://ops.example.evil.test/hook')).to.equal(false);
    expect(allows('https://ops.example', 'https://ops.examplex/')).to.equal(false);
    expect(allows('https://ops.example', 'https://ops.example@evil.test/')).to.equal(false);
    expect(allows('https://OPS.Example', 'https://ops.example/')).to.equal(true);
    // Scheme and port: the default port is the same place spelled out; another port is not.
    expect(allows('https://ops.example', 'http://ops.example/')).to.equal(false);
    expect(allows('https://ops.example', 'https://ops.example:443/x')).to.equal(true);
    expect(allows('https://ops.example', 'https://ops.example:8443/x')).to.equal(false);
    expect(allows('http://127.0.0.1:8080/', 'http://127.0.0.1:5988/cimom')).to.equal(false);
    // Paths: on a segment boundary, after the URL's own normalization of dot segments.
    expect(allows('https://ops.example/hooks', 'https://ops.example/hooks')).to.equal(true);
    expect(allows('https://ops.example/hooks/', 'https://ops.example/hooks')).to.equal(true);
    expect(allows('https://ops.example/hooks', 'https://ops.example/hooks/tvdc?x=1')).to.equal(true);
    expect(allows('https://ops.example/hooks', 'https://ops.example/hooks-admin')).to.equal(false);
    expect(allows('https://ops.example/hooks', 'https://ops.example/hooksx/y')).to.equal(false);
    expect(allows('https://ops.example/hooks', 'https://ops.example/hooks/../admin')).to.equal(false);
    expect(allows('https://ops.example/hooks', 'https://ops.example/hooks/%2e%2e/admin')).to.equal(false);
    expect(allows('https://ops.example/hooks', 'https://ops.example/hooks/..%2Fadmin')).to.equal(false);
    expect(allows('https://ops.example/hooks', 'https://ops.example/')).to.equal(false);
    expect(allows('https://ops.example/hooks', 'not a url')).to.equal(false);
    // Canonical forms, and prefixes that are not places.
    expect(canonicalPrefix('HTTPS://Ops.Example:443/hooks//')).to.equal('https://ops.example/hooks');
    expect(canonicalPrefix('http://127.0.0.1:8080')).to.equal('http://127.0.0.1:8080/');
    expect(() => canonicalPrefix('ops.example/hooks')).to.throw(/not an absolute URL/);
    expect(() => canonicalPrefix('ftp://ops.example/')).to.throw(/must be http or https/);
    expect(() => canonicalPrefix('https://u:p@ops.example/')).to.throw(/user name or password/);
    expect(() => canonicalPrefix('https://ops.example/hooks?token=1')).to.throw(/query or fragment/);
    expect(() => canonicalPrefix('https://ops.example/hooks#a')).to.throw(/query or fragment/);
    expect(() => canonicalPrefix('')).to.throw(/prefix is required/);
  });

  it('the allow-list keeps canonical prefixes across a restart; a plan whose prefix was removed records a failed action and calls nothing', async () => {
    let targets = new NotifyTargetStore(db);
    expect(targets.add('https://Ops.Example/hooks/', 'root').prefix).to.equal('https://ops.example/hooks');
    expect(() => targets.add('https://ops.example/hooks', 'root')).to.throw(/already allowed/);
    db.close();
    db = openStore(file);
    targets = new NotifyTargetStore(db);
    expect(targets.list().map((t) => [t.prefix, t.addedBy])).to.deep.equal([['https://ops.example/hooks', 'root']]);
    const events = new EventLog(db);
    const plans = new ActionPlanStore(db);
    const calls: string[] = [];
    const effects = recordingEffects(calls);
    const engine = new ActionPlanEngine(plans, events, effects, targets);
    const plan = plans.add(validatePlan({ group: 'g', on: ['untrusted'], action: 'notify', url: 'https://ops.example/hooks/tvdc', createdBy: 'alice' }));
    const attest = (vm: string) => events.record({ kind: 'attestation', group: 'g', host: 'h', vm, status: 'untrusted', message: 'x' });
    expect((await engine.handle(attest('v'))).map((a) => a.status)).to.deep.equal(['done']);
    expect(targets.remove('https://ops.example/hooks/').prefix).to.equal('https://ops.example/hooks');
    expect(() => targets.remove('https://ops.example/hooks')).to.throw(/is not an allowed notification target/);
    // Another VM turns untrusted: the plan would tell of it, but its prefix is gone.
    const [failed] = await engine.handle(attest('w'));
    expect(failed).to.deep.include({ planId: plan.id, status: 'failed', action: 'notify' });
    expect(failed!.message).to.include('https://ops.example/hooks/tvdc is not under any notification target the Datacenter Administrator allows');
    expect(calls).to.deep.equal(['notify https://ops.example/hooks/tvdc']);
  });

  it('an outcome with DUPLICATE_VM_NAME is never powered: notify plans run, a shutdown plan on failed records why it did not act', async () => {
    const events = new EventLog(db);
    const plans = new ActionPlanStore(db);
    const targets = new NotifyTargetStore(db);
    targets.add('http://ok.invalid/', 'root');
    const calls: string[] = [];
    const effects = recordingEffects(calls);
    const engine = new ActionPlanEngine(plans, events, effects, targets);
    plans.add(validatePlan({ group: 'g', on: ['failed'], action: 'shutdown', createdBy: 'a' }));
    plans.add(validatePlan({ group: 'g', on: ['failed'], action: 'notify', url: 'http://ok.invalid/x', createdBy: 'a' }));
    const ev = events.record({ kind: 'attestation', group: 'g', host: 'h1', vm: 'web', status: 'failed', message: 'x', findings: [{ code: DUPLICATE_VM_NAME, message: 'VM name web is defined on hosts h1 and h2' }] });
    const actions = await engine.handle(ev);
    expect(actions.map((a) => [a.action, a.status])).to.deep.equal([['notify', 'done'], ['shutdown', 'failed']]);
    expect(actions[1]!.message).to.include('VM name web is defined on more than one host: no shutdown');
    expect(calls).to.deep.equal(['notify http://ok.invalid/x']);
  });

  it('the event log filters by groups, time, kind and VM, newest first, bounded; it outlives the process', async () => {
    let events = new EventLog(db);
    events.record({ kind: 'attestation', group: 'a', host: 'h', vm: 'v1', status: 'trusted', message: '1' });
    await sleep(5);
    const mid = new Date();
    await sleep(5);
    events.record({ kind: 'attestation', group: 'b', host: 'h', status: 'failed', message: '2', findings: [{ code: 'HOST_UNREACHABLE', message: 'down' }] });
    events.record({ kind: 'action', group: 'a', host: 'h', vm: 'v1', status: 'done', message: '3', planId: 7, action: 'shutdown', cause: 1 });
    events.record({ kind: 'attestation', group: null, host: 'lonely', status: 'trusted', message: '4' });
    db.close();
    db = openStore(file);
    events = new EventLog(db);
    expect(events.list().map((e) => e.message)).to.deep.equal(['4', '3', '2', '1']);
    expect(events.list({ groups: [{ name: 'a' }] }).map((e) => e.message)).to.deep.equal(['3', '1']);
    expect(events.list({ groups: [] })).to.deep.equal([]);
    expect(events.list({ since: mid }).map((e) => e.message)).to.deep.equal(['4', '3', '2']);
    expect(events.list({ kind: 'action' })[0]).to.deep.include({ planId: 7, action: 'shutdown', cause: 1, vm: 'v1' });
    expect(events.list({ vm: 'v1', limit: 1 }).map((e) => e.message)).to.deep.equal(['3']);
    expect(events.list({ groups: [{ name: 'b' }] })[0]!.findings).to.deep.equal([{ code: 'HOST_UNREACHABLE', message: 'down' }]);
    expect(() => events.list({ limit: 0 })).to.throw(/limit must be an integer/);
    expect(events.prune(mid)).to.equal(1);
    expect(events.list().map((e) => e.message)).to.deep.equal(['4', '3', '2']);
  });

  it('the scheduler runs due groups, never two runs of one group at once, at most `concurrency` groups, and records each run', async () => {
    const store = new AttestationScheduleStore(db);
    const past = new Date(Date.now() - 1000);
    for (const g of ['a', 'b', 'c']) store.set(g, 1_000, 'root', past);
    let active = 0;
    let most = 0;
    const runs: string[] = [];
    const gates: (() => void)[] = [];
    const scheduler = new AttestationScheduler({
      store,
      concurrency: 2,
      runGroup: async (g) => {
        runs.push(g);
        active++;
        most = Math.max(most, active);
        await new Promise<void>((r) => gates.push(r));
        active--;
        return `ran ${g}`;
      },
    });
    scheduler.start();
    try {
      await until('two runs', () => runs.length === 2);
      // Still blocked: pokes do not start the same groups again, nor a third group.
      for (let i = 0; i < 5; i++) scheduler.poke();
      await sleep(50);
      expect(runs).to.deep.equal(['a', 'b']);
      expect(scheduler.active().sort()).to.deep.equal(['a', 'b']);
      gates.shift()!();
      await until('c to start', () => runs.includes('c'));
      expect(most).to.equal(2);
      expect(store.get('a')!.lastResult).to.equal('ran a');
      expect(new Date(store.get('a')!.nextRunAt).getTime()).to.be.greaterThan(Date.now() - 100);
    } finally {
      while (gates.length) gates.shift()!();
      const stopping = scheduler.stop();
      while (gates.length) gates.shift()!();
      await stopping;
    }
  });

  it('a group that falls due again while its run is still going is not started twice', async () => {
    const store = new AttestationScheduleStore(db);
    store.set('solo', 1_000, 'root', new Date(Date.now() - 5_000));
    let runs = 0;
    let release!: () => void;
    const scheduler = new AttestationScheduler({ store, concurrency: 5, runGroup: async () => { runs++; await new Promise<void>((r) => (release = r)); return 'ok'; } });
    scheduler.start();
    try {
      await until('the run', () => runs === 1);
      // Still due (its next run is only set when it ends), and poked repeatedly.
      expect(store.due(new Date()).map((s) => s.group)).to.deep.equal(['solo']);
      for (let i = 0; i < 5; i++) {
        scheduler.poke();
        await sleep(20);
      }
      expect(runs).to.equal(1);
      release();
      await until('the run recorded', () => store.get('solo')!.lastResult === 'ok');
    } finally {
      release?.();
      await scheduler.stop();
    }
  });

  it('schedules survive a restart: a run that fell due while the server was down happens right after it starts; an unscheduled group never runs', async () => {
    let store = new AttestationScheduleStore(db);
    store.set('due', 3_600_000, 'root', new Date(Date.now() - 60_000));
    store.set('later', 3_600_000, 'root');
    store.set('dropped', 1_000, 'root', new Date(Date.now() - 60_000));
    expect(store.remove('dropped')).to.equal(true);
    db.close();
    db = openStore(file);
    store = new AttestationScheduleStore(db);
    expect(store.list().map((s) => s.group)).to.deep.equal(['due', 'later']);
    const runs: string[] = [];
    const scheduler = new AttestationScheduler({ store, runGroup: async (g) => (runs.push(g), 'ok') });
    scheduler.start();
    try {
      await until('the overdue run', () => store.get('due')!.lastRunAt !== undefined);
      await sleep(50);
      expect(runs).to.deep.equal(['due']);
      // The next run is an interval after this one, not a burst of the missed ones.
      expect(new Date(store.get('due')!.nextRunAt).getTime()).to.be.greaterThan(Date.now() + 3_500_000);
    } finally {
      await scheduler.stop();
    }
  });
});
