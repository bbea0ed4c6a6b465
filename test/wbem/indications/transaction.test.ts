// Indications queued inside the writer's SQLite transaction: the service joins a transaction
// already open on its store (a savepoint), so the queue rows commit or roll back with the write.
// Alone, through the repository provider of a real WbemServer whose commit fails, and across
// kill -9 of a host process right after it answered a CreateInstance.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { openStore, type Db } from '../../../src/store/Store.js';
import { CimRepository } from '../../../src/cim/CimRepository.js';
import { CimError, CimStatus } from '../../../src/cim/CimError.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { compileMof } from '../../../src/mof/index.js';
import { WbemServer } from '../../../src/wbem/WbemServer.js';
import { attachIndications, IndicationService } from '../../../src/wbem/indications/index.js';
import { WbemConnection } from '../../../client/cim/WbemConnection.js';
import { subscribe } from '../../../client/listener/Subscriptions.js';
import { validateAgainstDtd, INTEROP_MOF } from '../support/wbemTestKit.js';
import { TestListener, errorResponse, instance, messageId, okResponse, tempDir, waitFor, type Received } from './support.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The SourceInstance Name and SequenceNumber of each ExportIndication the listener accepted. */
function deliveries(received: readonly Received[]): { name: string; seq: string; className: string }[] {
  return received.map((r) => ({
    className: /<INSTANCE CLASSNAME="([^"]+)"/.exec(r.body)?.[1] ?? '',
    // The embedded SourceInstance is escaped XML inside the property's VALUE.
    name: /&lt;PROPERTY NAME="Name"[^&]*&gt;&lt;VALUE&gt;([^&]*)&lt;/.exec(r.body)?.[1] ?? '',
    seq: /<PROPERTY NAME="SequenceNumber" TYPE="sint64"><VALUE>(\d+)<\/VALUE>/.exec(r.body)?.[1] ?? '',
  }));
}

function vm(name: string): CimInstance {
  const i = new CimInstance('TVDc_ComputerSystem');
  i.properties.set('CreationClassName', new CimProperty('CreationClassName', 'string', 'TVDc_ComputerSystem'));
  i.properties.set('Name', new CimProperty('Name', 'string', name));
  return i;
}

/**
 * Makes SQLite refuse the COMMIT of any transaction that inserts into `table` a row whose
 * `column` contains `marker`: a trigger inserts a row violating a deferred foreign key.
 */
function poisonCommits(db: Db, table: string, column: string, marker: string): void {
  db.exec(`CREATE TABLE poison_parent (id INTEGER PRIMARY KEY);
    CREATE TABLE poison_child (parent INTEGER REFERENCES poison_parent(id) DEFERRABLE INITIALLY DEFERRED);
    CREATE TRIGGER poison AFTER INSERT ON ${table} WHEN NEW.${column} LIKE '%${marker}%'
      BEGIN INSERT INTO poison_child VALUES (42); END;`);
}

/** The CIM status a createInstance failed with, or null when it succeeded. */
async function createStatus(conn: WbemConnection, inst: CimInstance): Promise<CimStatus | null> {
  try {
    await conn.createInstance(inst);
    return null;
  } catch (e) {
    if (!(e instanceof CimError)) throw e;
    return e.status;
  }
}

describe('indications/emitted inside the writer\'s transaction', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let listener: TestListener;

  beforeEach(async () => {
    tmp = tempDir();
    listener = new TestListener();
    await listener.start();
  });
  afterEach(async () => {
    await listener.stop();
    tmp.cleanup();
  });

  describe('the service alone', () => {
    let db: Db;
    let svc: IndicationService;

    beforeEach(() => {
      db = openStore(join(tmp.dir, 'host.db'));
      svc = new IndicationService({ db, systemName: 'host1', retryIntervalMs: 20, onError: () => {} });
      const f = svc.createFilter('root/tvdc', instance('CIM_IndicationFilter', [['Name', 'string', 'f'], ['Query', 'string', 'SELECT * FROM CIM_InstCreation'], ['QueryLanguage', 'string', 'WQL']]));
      const d = svc.createDestination('root/interop', instance('CIM_ListenerDestinationCIMXML', [['Name', 'string', 'd'], ['Destination', 'string', `http://127.0.0.1:${listener.port}/listener`]]));
      svc.createSubscription('root/interop', instance('CIM_IndicationSubscription', [['Filter', 'reference', f], ['Handler', 'reference', d]]));
    });
    afterEach(async () => {
      await svc.close();
      db.close();
    });

    const creation = (name: string) => instance('CIM_InstCreation', [['SourceInstance', 'string', vm(name)]]);

    it('drops what a rolled-back transaction emitted, sequence number included, and delivers what a committed one emitted', async () => {
      db.exec('CREATE TABLE app_rows (name TEXT)');
      expect(() => db.transaction(() => {
        db.prepare('INSERT INTO app_rows VALUES (?)').run('rolled-back');
        expect(svc.emit('root/tvdc', creation('rolled-back'))).to.equal(1);
        // Queued, but only inside this transaction.
        expect((db.prepare('SELECT count(*) AS n FROM ind_queue').get() as { n: number }).n).to.equal(1);
        throw new Error('the write fails after its indication was queued');
      })()).to.throw('the write fails');
      expect((db.prepare('SELECT count(*) AS n FROM ind_queue').get() as { n: number }).n).to.equal(0);

      db.transaction(() => {
        db.prepare('INSERT INTO app_rows VALUES (?)').run('committed');
        svc.emit('root/tvdc', creation('committed'));
      })();
      await waitFor(() => listener.received.length === 1, 10_000, 'the committed indication');
      await new Promise((r) => setTimeout(r, 100)); // room for a wrongly queued one to show up
      // The rolled-back indication never took a SequenceNumber: the committed one is number 0.
      expect(deliveries(listener.received)).to.deep.equal([{ className: 'CIM_InstCreation', name: 'committed', seq: '0' }]);
      expect(svc.queued()).to.equal(0);
    });

    it('numbers on from the store after a rollback that followed committed emits', async () => {
      svc.emit('root/tvdc', creation('a'));
      expect(() => db.transaction(() => {
        svc.emit('root/tvdc', creation('lost'));
        throw new Error('rollback');
      })()).to.throw('rollback');
      db.transaction(() => svc.emit('root/tvdc', creation('b')))();
      svc.emit('root/tvdc', creation('c'));
      await waitFor(() => listener.received.length === 3, 10_000, 'three indications');
      expect(deliveries(listener.received).map((d) => `${d.name}#${d.seq}`)).to.deep.equal(['a#0', 'b#1', 'c#2']);
    });
  });

  describe('through the repository provider of a WbemServer', () => {
    let server: WbemServer;
    let db: Db;
    const bodies: string[] = [];

    beforeEach(async () => {
      const repository = new CimRepository();
      for (const ns of ['root/interop', 'root/tvdc']) compileMof({ files: [INTEROP_MOF], repository, defaultNamespace: ns });
      compileMof({
        sources: [{ name: 'vm.mof', text: 'class TVDc_ComputerSystem : CIM_ComputerSystem { [Key, Override("Name")] string Name; };' }],
        repository, defaultNamespace: 'root/tvdc',
      });
      db = openStore(join(tmp.dir, 'host.db'));
      server = new WbemServer({ repository, store: db, name: 'host1', log: () => {}, traceResponse: (x) => bodies.push(x) });
      attachIndications(server, { retryIntervalMs: 20, onError: () => {} });
    });
    afterEach(async () => {
      await server.close();
      db.close();
    });

    it('never delivers the CIM_InstCreation of a create whose commit failed, and delivers the next one as number 0', async () => {
      const { http } = await server.listen({ port: 0 });
      await subscribe(new WbemConnection(http!, { namespace: 'root/interop' }), {
        name: 'vms', destination: `http://127.0.0.1:${listener.port}/listener`,
        query: 'SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA TVDc_ComputerSystem', sourceNamespace: 'root/tvdc',
      });
      // A deferred foreign key that a "poison" instance violates: SQLite refuses the COMMIT, after
      // the repository provider wrote the instance and the indication service queued its delivery.
      poisonCommits(db, 'wbem_instances', 'path_key', 'poison');
      const tvdc = new WbemConnection(http!, { namespace: 'root/tvdc' });
      expect(await createStatus(tvdc, vm('poison'))).to.equal(CimStatus.CIM_ERR_FAILED);
      expect((db.prepare('SELECT count(*) AS n FROM ind_queue').get() as { n: number }).n).to.equal(0);
      expect((await tvdc.enumerateInstanceNames('TVDc_ComputerSystem').toArray()).length).to.equal(0);

      await tvdc.createInstance(vm('vm-ok'));
      await waitFor(() => listener.received.length === 1, 10_000, 'the committed create\'s indication');
      await new Promise((r) => setTimeout(r, 100));
      expect(deliveries(listener.received)).to.deep.equal([{ className: 'CIM_InstCreation', name: 'vm-ok', seq: '0' }]);
      expect(await validateAgainstDtd([...bodies, ...listener.received.map((r) => r.body)])).to.equal('');
    });

    it('fails a create whose indication cannot commit: instance and queue row share one transaction', async () => {
      const { http } = await server.listen({ port: 0 });
      await subscribe(new WbemConnection(http!, { namespace: 'root/interop' }), {
        name: 'vms', destination: `http://127.0.0.1:${listener.port}/listener`,
        query: 'SELECT * FROM CIM_InstCreation', sourceNamespace: 'root/tvdc',
      });
      // This time the queue row is what breaks the COMMIT. Were the indication queued in a
      // transaction of its own after the instance's, the create would succeed unannounced.
      poisonCommits(db, 'ind_queue', 'body', 'unannounced');
      const tvdc = new WbemConnection(http!, { namespace: 'root/tvdc' });
      expect(await createStatus(tvdc, vm('unannounced'))).to.equal(CimStatus.CIM_ERR_FAILED);
      expect((await tvdc.enumerateInstanceNames('TVDc_ComputerSystem').toArray()).length).to.equal(0);
      expect((db.prepare('SELECT count(*) AS n FROM wbem_instances').get() as { n: number }).n).to.equal(0);
      await tvdc.createInstance(vm('announced'));
      await waitFor(() => listener.received.length === 1, 10_000, 'the indication');
      expect(deliveries(listener.received).map((d) => d.name)).to.deep.equal(['announced']);
    });
  });

  describe('kill -9 of the host right after it answered', () => {
    const procs: ChildProcess[] = [];
    afterEach(async () => {
      for (const p of procs.splice(0)) {
        if (p.exitCode !== null || p.signalCode !== null) continue;
        const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
        p.kill('SIGKILL');
        await exited;
      }
    });

    function host(dbFile: string): Promise<{ proc: ChildProcess; url: string }> {
      const proc = spawn(process.execPath, ['--import', 'tsx', join(here, 'serverHost.ts'), dbFile, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      procs.push(proc);
      return new Promise((resolve, reject) => {
        createInterface({ input: proc.stdout! }).on('line', (l) => {
          if (l.startsWith('listening ')) resolve({ proc, url: l.slice('listening '.length) });
        });
        proc.once('exit', (code, signal) => reject(new Error(`host exited (${code ?? signal}) before listening`)));
      });
    }

    it('delivers the CIM_InstCreation of a committed create after the host was killed the moment it replied', async () => {
      // Until the restart the listener refuses every export, so the indication can only arrive
      // from the queue row committed together with the instance.
      let accepting = false;
      listener.respond = (r) => ({ status: 200, body: (accepting ? okResponse : errorResponse)(messageId(r.body)) });
      const dbFile = join(tmp.dir, 'host.db');
      const h1 = await host(dbFile);
      await subscribe(new WbemConnection(h1.url, { namespace: 'root/interop' }), {
        name: 'kill9', destination: `http://127.0.0.1:${listener.port}/listener`,
        query: 'SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA CIM_ComputerSystem', sourceNamespace: 'root/tvdc',
      });
      const exited = new Promise<void>((resolve) => h1.proc.once('exit', () => resolve()));
      await new WbemConnection(h1.url, { namespace: 'root/tvdc' }).createInstance(vm('vm-kill9'));
      h1.proc.kill('SIGKILL');
      await exited;

      const seen = listener.received.length;
      accepting = true;
      await host(dbFile);
      await waitFor(() => listener.received.length > seen, 20_000, 'the indication after the restart');
      const got = deliveries(listener.received.slice(seen));
      expect(got[0]).to.deep.equal({ className: 'CIM_InstCreation', name: 'vm-kill9', seq: '0' });
    });
  });
});
