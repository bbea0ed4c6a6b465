// Durability under concurrency: 32 keep-alive connections create 10,000 instances at once
// through the repository provider of a tvdc-host child process; every call is answered and the
// enumeration returns exactly the created instances, also after kill -9 and a restart. A second
// kill -9 lands in the middle of a burst: every acknowledged create survives it.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { imethodBody, validateAgainstDtd, WBEM_FIXTURES } from './support/wbemTestKit.js';
import { spawnTvdcHost, type TvdcHostProcess } from '../support/TvdcHostProcess.js';

const CONNECTIONS = 32;
const TOTAL = 10_000;

function createBody(id: number): string {
  return imethodBody('CreateInstance', 'root/cimv2',
    `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="TVD_Widget"><PROPERTY NAME="CreationClassName" TYPE="string"><VALUE>TVD_Widget</VALUE></PROPERTY>` +
    `<PROPERTY NAME="Id" TYPE="uint32"><VALUE>${id}</VALUE></PROPERTY><PROPERTY NAME="Label" TYPE="string"><VALUE>w${id}</VALUE></PROPERTY></INSTANCE></IPARAMVALUE>`);
}

const HEADERS = (method: string) => ({ 'content-type': 'application/xml; charset="utf-8"', cimoperation: 'MethodCall', cimmethod: method, cimobject: 'root%2Fcimv2' });

/** A sample of the answers seen, for DTD validation (every 50th create, every enumeration). */
const seenBodies: string[] = [];

/** Creates instances `ids` over `pool`; resolves with the ids whose creation the server acknowledged. */
async function createAll(pool: Pool, ids: number[]): Promise<{ ok: number[]; failed: number }> {
  const ok: number[] = [];
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      try {
        const r = await pool.request({ path: '/cimom', method: 'POST', headers: HEADERS('CreateInstance'), body: createBody(id) });
        const text = await r.body.text();
        if (id % 50 === 0 && r.statusCode === 200) seenBodies.push(text);
        if (r.statusCode === 200 && text.includes('<INSTANCENAME') && !text.includes('<ERROR')) ok.push(id);
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return { ok, failed };
}

/** The Ids of every TVD_Widget the server enumerates (the MOF declares ids 1 and 2 and a gadget 3). */
async function enumerateIds(url: string): Promise<number[]> {
  const pool = new Pool(url, { connections: 1 });
  try {
    const r = await pool.request({
      path: '/cimom', method: 'POST', headers: HEADERS('EnumerateInstanceNames'),
      body: imethodBody('EnumerateInstanceNames', 'root/cimv2', '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Widget"/></IPARAMVALUE>'),
    });
    const text = await r.body.text();
    expect(r.statusCode).to.equal(200);
    seenBodies.push(text);
    return [...text.matchAll(/<KEYBINDING NAME="Id"><KEYVALUE[^>]*>(\d+)<\/KEYVALUE>/g)].map((m) => Number(m[1])).filter((n) => n >= 100).sort((a, b) => a - b);
  } finally {
    await pool.close();
  }
}

describe('wbem: 32 connections creating 10,000 instances, kill -9, restart', function () {
  this.timeout(180_000);
  let dir: string;
  let h: TvdcHostProcess | null = null;
  const args = () => ['--name', 'durable', '--port', '0', '--state', join(dir, 'state'), '--mof', join(WBEM_FIXTURES, 'widgets.mof')];

  before(() => { dir = mkdtempSync(join(tmpdir(), 'tvdc-durable-')); });
  after(async () => {
    if (h && h.child.exitCode === null) { h.child.kill('SIGKILL'); await h.exited; }
    rmSync(dir, { recursive: true, force: true });
  });

  let created: number[] = [];

  it('answers every create and enumerates exactly the created instances', async () => {
    h = await spawnTvdcHost(args());
    const pool = new Pool(h.origin, { connections: CONNECTIONS, pipelining: 1 });
    const ids = Array.from({ length: TOTAL }, (_, i) => 100 + i);
    const { ok, failed } = await createAll(pool, ids);
    await pool.close();
    expect(failed).to.equal(0);
    expect(ok).to.have.length(TOTAL);
    created = ok.sort((a, b) => a - b);
    expect(await enumerateIds(h.origin)).to.deep.equal(created);
  });

  it('after kill -9 and a restart, enumerates the same instances', async () => {
    h!.child.kill('SIGKILL');
    expect(await h!.exited).to.equal('SIGKILL');
    h = await spawnTvdcHost(args());
    expect(await enumerateIds(h.origin)).to.deep.equal(created);
  });

  it('a kill -9 in the middle of a burst loses no acknowledged create', async () => {
    const pool = new Pool(h!.origin, { connections: CONNECTIONS, pipelining: 1 });
    const ids = Array.from({ length: 3000 }, (_, i) => 20_000 + i);
    const victim = h!;
    // Kill once a few hundred creates of the burst are acknowledged.
    const burst = createAll(pool, ids);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        void enumerateIds(victim.origin).then((now) => {
          if (now.length >= created.length + 300) { clearInterval(poll); resolve(); }
        }).catch(() => undefined);
      }, 50);
    });
    victim.child.kill('SIGKILL');
    const { ok, failed } = await burst;
    await pool.destroy();
    expect(failed).to.be.greaterThan(0);
    expect(await victim.exited).to.equal('SIGKILL');
    h = await spawnTvdcHost(args());
    const after = await enumerateIds(h.origin);
    const afterSet = new Set(after);
    for (const id of [...created, ...ok]) expect(afterSet.has(id), `acknowledged id ${id}`).to.equal(true);
    const attempted = new Set([...created, ...ids]);
    for (const id of after) expect(attempted.has(id), `id ${id} was never sent`).to.equal(true);
    h.child.kill('SIGTERM');
    expect(await h.exited).to.equal(0);
  });

  it('the answers seen are DTD-valid CIM-XML', async () => {
    expect(seenBodies.length).to.be.greaterThan(100);
    expect(await validateAgainstDtd(seenBodies)).to.equal('');
  });
});
