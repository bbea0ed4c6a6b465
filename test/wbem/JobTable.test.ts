// The bookkeeping of jobs started by methods that return 4096: states in order, truthful times,
// failures, and retention (a finished job goes after retentionMs, and only maxFinished are kept).
import { expect } from 'chai';
import { JobTable, type JobChange, type JobFailure, type JobRecord } from '../../src/wbem/JobTable.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A job's work that waits until `finish` is called with its outcome. */
function gate(): { work: () => Promise<string | JobFailure>; finish(outcome: string | JobFailure): void } {
  let finish!: (o: string | JobFailure) => void;
  const done = new Promise<string | JobFailure>((r) => { finish = r; });
  return { work: () => done, finish: (o) => finish(o) };
}

async function until(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !f(); i++) await sleep(5);
  expect(f(), what).to.equal(true);
}

describe('JobTable: jobs of methods that return 4096', () => {
  const tables: JobTable<string>[] = [];
  const table = (opts: ConstructorParameters<typeof JobTable<string>>[0] = {}): JobTable<string> => {
    const t = new JobTable<string>(opts);
    tables.push(t);
    return t;
  };
  afterEach(async () => {
    for (const t of tables.splice(0)) await t.close();
  });

  it('a job is Starting when submitted, Running once its work begins, Completed with the final status; each change is reported with the record before it', async () => {
    const seen: string[] = [];
    const t = table({ idPrefix: 'X:', onChange: (c: JobChange, j: JobRecord<string>, prev) => seen.push(`${c}:${prev?.state ?? '-'}>${j.state}:${j.percentComplete}`) });
    const g = gate();
    let progress!: (p: number, s?: string) => void;
    const job = t.submit('vm1', 'alice', 'checked', async (p) => {
      progress = p.progress;
      return g.work();
    });
    expect(job.id).to.match(/^X:[0-9a-f-]{36}$/);
    expect(job.state).to.equal('starting');
    expect(job.owner).to.equal('alice');
    expect(job.startedAt).to.equal(null);
    await until(() => t.get(job.id)!.state === 'running', 'running');
    const running = t.get(job.id)!;
    expect(running.startedAt!.getTime()).to.be.at.least(job.submittedAt.getTime());
    expect(running.stateChangedAt).to.equal(running.startedAt);
    progress(50, 'half way');
    progress(250);
    expect(t.get(job.id)!.percentComplete).to.equal(100);
    expect(t.get(job.id)!.status).to.equal('half way');
    expect(t.get(job.id)!.state, 'progress is no state change').to.equal('running');
    g.finish('done');
    await until(() => t.get(job.id)!.state === 'completed', 'completed');
    const done = t.get(job.id)!;
    expect(done.status).to.equal('done');
    expect(done.failure).to.equal(null);
    expect(done.finishedAt!.getTime()).to.be.at.least(running.startedAt!.getTime());
    expect(done.stateChangedAt).to.equal(done.finishedAt);
    // The submitted record is untouched: a "before" stays what it was.
    expect(job.state).to.equal('starting');
    expect(seen).to.deep.equal(['created:->starting:0', 'modified:starting>running:0', 'modified:running>running:50', 'modified:running>running:100', 'modified:running>completed:100']);
  });

  it('a failure the work returns is Exception with its code and description; a throw is Exception with code 2', async () => {
    const t = table();
    const a = t.submit('a', null, 's', async () => ({ code: 5, description: 'VM stopped meanwhile' }));
    const b = t.submit('b', null, 's', async () => { throw new Error('boom'); });
    await until(() => t.list().every((j) => j.state === 'exception'), 'both failed');
    expect(t.get(a.id)!.failure).to.deep.equal({ code: 5, description: 'VM stopped meanwhile' });
    expect(t.get(a.id)!.status).to.equal('VM stopped meanwhile');
    expect(t.get(b.id)!.failure).to.deep.equal({ code: 2, description: 'boom' });
  });

  it('a finished job is removed retentionMs after it finished, with a "removed" report; a running one stays', async () => {
    const removed: string[] = [];
    const t = table({ retentionMs: 40, onChange: (c: JobChange, j: JobRecord<string>) => { if (c === 'removed') removed.push(j.detail); } });
    const g = gate();
    const quick = t.submit('quick', null, 's', async () => 'ok');
    const slow = t.submit('slow', null, 's', g.work);
    await until(() => t.get(quick.id)?.state === 'completed', 'quick finished');
    expect(t.get(quick.id)).to.not.equal(undefined);
    await until(() => t.get(quick.id) === undefined, 'quick removed');
    expect(removed).to.deep.equal(['quick']);
    expect(t.get(slow.id)!.state).to.equal('running');
    expect(() => t.remove(slow.id)).to.throw(/running; only a finished job can be removed/);
    g.finish('ok');
    await until(() => t.get(slow.id)?.state === 'completed', 'slow finished');
    expect(t.remove(slow.id)).to.equal(true);
    expect(t.remove(slow.id)).to.equal(false);
    expect(removed).to.deep.equal(['quick', 'slow']);
  });

  it('at most maxFinished finished jobs are kept: the oldest go first', async () => {
    const t = table({ maxFinished: 2 });
    const ids: string[] = [];
    for (const d of ['1', '2', '3']) {
      const j = t.submit(d, null, 's', async () => 'ok');
      await until(() => t.get(j.id)?.state === 'completed', `job ${d}`);
      ids.push(j.id);
    }
    expect(t.list().map((j) => j.detail)).to.deep.equal(['2', '3']);
    expect(t.get(ids[0]!)).to.equal(undefined);
  });

  it('close waits for running jobs and refuses new ones; a throwing listener does not cost the job its bookkeeping', async () => {
    const t = table({ onChange: () => { throw new Error('listener down'); } });
    const g = gate();
    const errors: unknown[] = [];
    const log = console.error;
    console.error = (...a: unknown[]) => void errors.push(a);
    try {
      const job = t.submit('x', null, 's', g.work);
      await until(() => t.get(job.id)!.state === 'running', 'running');
      let closed = false;
      const closing = t.close().then(() => { closed = true; });
      await sleep(20);
      expect(closed, 'close waits for the running job').to.equal(false);
      expect(() => t.submit('y', null, 's', async () => 'ok')).to.throw(/closed/);
      g.finish('ok');
      await closing;
      expect(t.get(job.id)!.state).to.equal('completed');
    } finally {
      console.error = log;
    }
    expect(errors.map(String).join('\n')).to.include('change listener failed: listener down');
  });

  it('refuses a negative retention and a maxFinished below 1', () => {
    expect(() => new JobTable({ retentionMs: -1 })).to.throw(RangeError);
    expect(() => new JobTable({ maxFinished: 0 })).to.throw(RangeError);
  });
});
