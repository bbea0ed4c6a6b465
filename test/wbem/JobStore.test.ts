// Jobs that outlive their process: a JobTable on a JobStore in a real SQLite file, reopened the way
// a restarted process reopens it. A finished job comes back whole with its retention counted from
// its recorded finish; a job that was running is settled as an exception; rows that cannot be read
// are left out with a log line; a store that refuses writes starts no job.
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Db } from '../../src/store/Store.js';
import { JobStore } from '../../src/wbem/JobStore.js';
import { JobTable, type JobChange, type JobFailure, type JobRecord, type JobTableOptions } from '../../src/wbem/JobTable.js';

interface Detail { vm: string; to: string }

const KIND = 'T:Job:';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function decodeDetail(v: unknown): Detail {
  const d = v as Partial<Detail> | null;
  if (typeof d?.vm !== 'string' || typeof d.to !== 'string') throw new Error('detail has no vm and to');
  return { vm: d.vm, to: d.to };
}

async function until(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !f(); i++) await sleep(5);
  expect(f(), what).to.equal(true);
}

describe('JobStore: a job table\'s jobs in SQLite, across restarts', () => {
  let dir: string;
  let file: string;
  const dbs: Db[] = [];
  const tables: JobTable<Detail>[] = [];
  /** Work still held when a test ends, let go so that close() does not wait for it. */
  const holds: Array<() => void> = [];
  let logged: string[];

  /** The "process": a store opened on the file and a table on it, restored. */
  const open = (opts: Omit<JobTableOptions<Detail>, 'store' | 'idPrefix'> = {}): { table: JobTable<Detail>; db: Db; restored: ReturnType<JobTable<Detail>['restore']> } => {
    const db = openStore(file);
    dbs.push(db);
    const store = new JobStore<Detail>(db, { kind: KIND, decodeDetail, log: (m) => logged.push(m) });
    const table = new JobTable<Detail>({ idPrefix: KIND, store, log: (m) => logged.push(m), ...opts });
    tables.push(table);
    return { table, db, restored: table.restore() };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-jobstore-'));
    file = join(dir, 'host.db');
    logged = [];
  });
  afterEach(async () => {
    for (const h of holds.splice(0)) h();
    for (const t of tables.splice(0)) await t.close();
    for (const db of dbs.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a finished job comes back whole: detail, owner, state, percent, status, failure and every time', async () => {
    const first = open();
    const ok = first.table.submit({ vm: 'ma', to: 'http://h2:5988' }, 'alice', 'checked', async (p) => {
      p.progress(50, 'half way');
      return 'moved';
    });
    const bad = first.table.submit({ vm: 'su', to: 'http://h3:5988' }, null, 'checked', async () => ({ code: 5, description: 'VM stopped meanwhile' }));
    await until(() => first.table.list().every((j) => j.state === 'completed' || j.state === 'exception'), 'both finished');
    const before = first.table.list();
    // The process ends without closing anything, as kill -9 would leave it.
    first.db.close();

    const second = open();
    expect(second.restored).to.deep.include({ kept: 2, expired: 0 });
    expect(second.restored.settled).to.deep.equal([]);
    expect(second.table.list()).to.deep.equal(before);
    expect(second.table.get(ok.id)).to.deep.include({ owner: 'alice', state: 'completed', percentComplete: 100, status: 'moved', failure: null });
    expect(second.table.get(ok.id)!.detail).to.deep.equal({ vm: 'ma', to: 'http://h2:5988' });
    expect(second.table.get(bad.id)!.failure).to.deep.equal({ code: 5, description: 'VM stopped meanwhile' });
    expect(second.table.get(bad.id)!.owner).to.equal(null);
    expect(logged).to.deep.equal([]);
  });

  it('a job running when its process died is settled at the next start: exception with the settle() failure, written first, then announced with the running record before it', async () => {
    const first = open();
    const job = first.table.submit({ vm: 'ma', to: 'http://h2:5988' }, 'bob', 'checked', (p) => {
      p.progress(50, 'waiting for h2');
      return new Promise<string>((r) => { holds.push(() => r('late')); });
    });
    await until(() => first.table.get(job.id)?.percentComplete === 50, 'half way');
    first.db.close();

    const changes: string[] = [];
    let storedAtAnnouncement: string | undefined;
    const settledWith: JobRecord<Detail>[] = [];
    const second = open({
      settle: (j): JobFailure => {
        settledWith.push(j);
        return { code: 2, description: `agent restarted; VM '${j.detail.vm}' is not here` };
      },
      onChange: (c: JobChange, j, prev) => {
        changes.push(`${c}:${prev?.state ?? '-'}>${j.state}:${prev?.percentComplete ?? '-'}`);
        const probe = new Database(file, { readonly: true });
        storedAtAnnouncement = (probe.prepare('SELECT state FROM wbem_job WHERE id = ?').get(j.id) as { state: string }).state;
        probe.close();
      },
    });
    expect(settledWith.map((j) => `${j.id}:${j.state}:${j.status}`)).to.deep.equal([`${job.id}:running:waiting for h2`]);
    expect(second.restored.settled.map((j) => j.id)).to.deep.equal([job.id]);
    const settled = second.table.get(job.id)!;
    expect(settled).to.deep.include({ state: 'exception', percentComplete: 100, owner: 'bob', status: "agent restarted; VM 'ma' is not here" });
    expect(settled.failure).to.deep.equal({ code: 2, description: "agent restarted; VM 'ma' is not here" });
    expect(settled.finishedAt!.getTime()).to.equal(settled.stateChangedAt.getTime());
    expect(settled.startedAt!.getTime()).to.equal(first.table.get(job.id)!.startedAt!.getTime());
    expect(changes).to.deep.equal(['modified:running>exception:50']);
    expect(storedAtAnnouncement, 'the settlement was in the store before it was announced').to.equal('exception');

    // A third start finds it finished, with the same finish time: it is not settled twice.
    second.db.close();
    const third = open({ settle: () => { throw new Error('settle must not run for a finished job'); } });
    expect(third.restored.settled).to.deep.equal([]);
    expect(third.table.get(job.id)!.finishedAt!.getTime()).to.equal(settled.finishedAt!.getTime());
  });

  it('retention goes on from the recorded finish, not from the restart; a job past it is forgotten at the start', async () => {
    const first = open({ retentionMs: 400 });
    const old = first.table.submit({ vm: 'a', to: 'x' }, null, 's', async () => 'done');
    await until(() => first.table.get(old.id)?.state === 'completed', 'old finished');
    await sleep(250);
    const young = first.table.submit({ vm: 'b', to: 'x' }, null, 's', async () => 'done');
    await until(() => first.table.get(young.id)?.state === 'completed', 'young finished');
    first.db.close();
    await sleep(200);

    // old finished ~450 ms ago: past its 400 ms. young finished ~200 ms ago: 200 ms left, not 400.
    const removed: string[] = [];
    const second = open({ retentionMs: 400, onChange: (c, j) => { if (c === 'removed') removed.push(j.id); } });
    expect(second.restored).to.deep.include({ kept: 1, expired: 1 });
    expect(second.table.get(old.id)).to.equal(undefined);
    expect(second.table.get(young.id)!.state).to.equal('completed');
    const restartedAt = Date.now();
    await until(() => removed.includes(young.id), 'young removed');
    expect(Date.now() - restartedAt, 'removed by its own finish time, well before a fresh 400 ms').to.be.below(350);
    const rows = (second.db.prepare('SELECT id FROM wbem_job').all() as { id: string }[]).map((r) => r.id);
    expect(rows, 'both gone from the store too').to.deep.equal([]);
  });

  it('at most maxFinished finished jobs come back, the newest; the rest leave the store', async () => {
    const first = open();
    const ids: string[] = [];
    for (const vm of ['a', 'b', 'c']) {
      const j = first.table.submit({ vm, to: 'x' }, null, 's', async () => 'done');
      ids.push(j.id);
      await until(() => first.table.get(j.id)?.state === 'completed', `${vm} finished`);
      await sleep(5);
    }
    first.db.close();
    const second = open({ maxFinished: 2 });
    expect(second.table.list().map((j) => j.detail.vm)).to.deep.equal(['b', 'c']);
    expect(second.restored.expired).to.equal(1);
    expect(second.db.prepare('SELECT COUNT(*) AS n FROM wbem_job').get()).to.deep.equal({ n: 2 });
  });

  it('rows that cannot be read are left out with a log line naming them; the others load and the start goes on', async () => {
    const first = open();
    const good = first.table.submit({ vm: 'ok', to: 'x' }, null, 's', async () => 'done');
    await until(() => first.table.get(good.id)?.state === 'completed', 'finished');
    const now = Date.now();
    const insert = first.db.prepare(`INSERT INTO wbem_job (id, kind, detail, owner, state, percent_complete, status, submitted_at, started_at, finished_at, state_changed_at, failure_code, failure_description)
      VALUES (?, ?, ?, NULL, ?, ?, 's', ?, ?, ?, ?, ?, ?)`);
    insert.run(`${KIND}notjson`, KIND, '{"vm": "a",', 'completed', 100, now, now, now, now, null, null);
    insert.run(`${KIND}nodetail`, KIND, '{"vm": 7}', 'completed', 100, now, now, now, now, null, null);
    insert.run(`${KIND}badstate`, KIND, '{"vm":"a","to":"x"}', 'exploded', 100, now, now, now, now, null, null);
    insert.run(`${KIND}nofailure`, KIND, '{"vm":"a","to":"x"}', 'exception', 100, now, now, now, now, null, null);
    insert.run(`${KIND}badtime`, KIND, '{"vm":"a","to":"x"}', 'completed', 100, -5, now, now, now, null, null);
    insert.run(`${KIND}percent`, KIND, '{"vm":"a","to":"x"}', 'running', 'lots', now, now, null, now, null, null);
    // Another table's job in the same store is not this table's, and not an error either.
    insert.run('Other:1', 'Other:', 'whatever', 'running', 0, now, null, null, now, null, null);
    first.db.close();

    const second = open({ settle: () => ({ code: 2, description: 'restarted' }) });
    expect(second.table.list().map((j) => j.id)).to.deep.equal([good.id]);
    expect(second.restored.settled).to.deep.equal([]);
    const lines = logged.join('\n');
    for (const [id, why] of [['notjson', 'detail is not JSON'], ['nodetail', 'detail has no vm and to'], ['badstate', 'state "exploded"'], ['nofailure', 'no failure code'], ['badtime', 'submitted time -5'], ['percent', 'percent complete lots']]) {
      expect(lines, id).to.include(`job "${KIND}${id}" left out`).and.include(why);
    }
    expect(logged).to.have.length(6);
    expect(lines).to.not.include('Other:1');
  });

  it('a store that refuses writes: submit throws and starts nothing; a later change is applied and logged; DeleteInstance\'s removal throws and keeps the job', async () => {
    const { table, db } = open();
    let finish!: (s: string) => void;
    const job = table.submit({ vm: 'a', to: 'x' }, null, 's', () => new Promise<string>((r) => { finish = r; holds.push(() => r('late')); }));
    await until(() => table.get(job.id)?.state === 'running', 'running');
    db.pragma('query_only = ON');
    expect(() => table.submit({ vm: 'b', to: 'x' }, null, 's', async () => 'done')).to.throw(/cannot record job .* in the store/);
    expect(table.list().map((j) => j.detail.vm)).to.deep.equal(['a']);
    finish('done');
    await until(() => table.get(job.id)?.state === 'completed', 'completed in memory');
    expect(logged.join('\n')).to.include(`job ${job.id}: could not record completed`);
    expect(() => table.remove(job.id)).to.throw(/cannot record job .*removal/);
    expect(table.get(job.id)!.state).to.equal('completed');
    db.pragma('query_only = OFF');
    expect(table.remove(job.id)).to.equal(true);
    expect(db.prepare('SELECT COUNT(*) AS n FROM wbem_job').get()).to.deep.equal({ n: 0 });
  });

  it('a store that refuses the settlement at a start: the start goes on with the job settled, says so, and the next start settles it again', async () => {
    const first = open();
    const job = first.table.submit({ vm: 'a', to: 'x' }, null, 's', () => new Promise<string>((r) => { holds.push(() => r('late')); }));
    await until(() => first.table.get(job.id)?.state === 'running', 'running');
    first.db.close();

    const db = openStore(file);
    dbs.push(db);
    db.pragma('query_only = ON');
    const store = new JobStore<Detail>(db, { kind: KIND, decodeDetail, log: (m) => logged.push(m) });
    const table = new JobTable<Detail>({ idPrefix: KIND, store, log: (m) => logged.push(m) });
    tables.push(table);
    expect(table.restore().settled.map((j) => j.id)).to.deep.equal([job.id]);
    expect(table.get(job.id)!.failure, 'without settle(): code 2 and the default description').to.deep.equal({ code: 2, description: `the process running job ${job.id} stopped before the job finished` });
    expect(logged.join('\n')).to.include('could not record the jobs settled or expired at this start');
    db.close();

    const third = open();
    expect(third.restored.settled.map((j) => j.id)).to.deep.equal([job.id]);
  });

  it('restore() runs once, before any job', () => {
    const { table } = open();
    expect(() => table.restore()).to.throw(/runs once/);
  });
});
