// The provider of every class no other provider serves: instances live in the CimRepository
// (those declared in MOF and those clients create), and every change is written to SQLite so it
// survives a restart or kill -9. Writes arriving together share one transaction (group commit),
// each in its own savepoint, so one failing create does not fail its neighbours. Changes raise
// CIM_InstCreation / CIM_InstModification / CIM_InstDeletion through the indication hook from
// inside that savepoint: an indication service on the same store (attachIndications) queues its
// deliveries in the same transaction, so they become durable exactly when the change does - a
// rolled-back change is never announced, and a committed one is announced even after kill -9.
import { CimError, CimStatus } from '../cim/CimError.js';
import { CimInstance } from '../cim/CimInstance.js';
import { CimProperty } from '../cim/CimProperty.js';
import { CimDateTime } from '../cim/CimDateTime.js';
import type { CimObjectPath } from '../cim/CimObjectPath.js';
import type { CimRepository } from '../cim/CimRepository.js';
import { NameMap } from '../cim/NameMap.js';
import { encodeEmbeddedObject } from '../xml/encodeMessage.js';
import { decodeEmbeddedObject } from '../xml/decodeMessage.js';
import { migrate, type Db } from '../store/Store.js';
import type { InstanceOptions, Provider, ProviderContext } from './Provider.js';

const MIGRATIONS = [{
  id: 'wbem-1-instances',
  // xml NULL is a tombstone: an instance declared in MOF that a client deleted stays deleted.
  up: `CREATE TABLE wbem_instances (
         ns TEXT NOT NULL, path_key TEXT NOT NULL, class_name TEXT NOT NULL, xml TEXT,
         PRIMARY KEY (ns, path_key))`,
}];

interface Job {
  run(): void;
  undo?: () => void;
  resolve(): void;
  reject(e: unknown): void;
}

export interface LoadReport {
  loaded: number;
  deleted: number;
  /** Rows whose class or namespace no longer exists, or that no longer validate. */
  skipped: string[];
}

export class RepositoryProvider implements Provider {
  private queue: Job[] = [];
  private scheduled = false;
  private readonly upsert;
  private readonly all;

  constructor(readonly repository: CimRepository, readonly db: Db) {
    migrate(db, MIGRATIONS);
    this.upsert = db.prepare('INSERT OR REPLACE INTO wbem_instances (ns, path_key, class_name, xml) VALUES (?, ?, ?, ?)');
    this.all = db.prepare('SELECT ns, path_key, class_name, xml FROM wbem_instances ORDER BY rowid');
  }

  /** Applies the stored changes on top of the repository's MOF-declared instances. */
  load(): LoadReport {
    const report: LoadReport = { loaded: 0, deleted: 0, skipped: [] };
    // Paths of the MOF-declared instances by canonical key, built once per class a tombstone names.
    const declared = new Map<string, Map<string, CimObjectPath>>();
    const pathsOf = (ns: string, className: string): Map<string, CimObjectPath> => {
      const k = `${ns.toLowerCase()}:${className.toLowerCase()}`;
      let m = declared.get(k);
      if (!m) {
        m = new Map(this.repository.instanceNames(ns, className, { deep: false }).map((p) => [p.canonicalKey(), p]));
        declared.set(k, m);
      }
      return m;
    };
    for (const row of this.all.iterate() as Iterable<{ ns: string; path_key: string; class_name: string; xml: string | null }>) {
      try {
        if (row.xml === null) {
          const existing = pathsOf(row.ns, row.class_name).get(row.path_key);
          if (existing) this.repository.deleteInstance(row.ns, existing);
          report.deleted++;
          continue;
        }
        const inst = decodeEmbeddedObject(row.xml);
        if (!(inst instanceof CimInstance)) throw new Error('stored object is not an instance');
        const path = this.repository.pathOf(row.ns, inst);
        if (this.repository.hasInstance(row.ns, path)) this.repository.deleteInstance(row.ns, path);
        this.repository.addInstance(row.ns, inst);
        report.loaded++;
      } catch (e) {
        report.skipped.push(`${row.ns}:${row.class_name} ${row.path_key}: ${(e as Error).message}`);
      }
    }
    return report;
  }

  /**
   * Views of the stored instances (CimRepository.instanceViews), made one at a time as the server
   * streams them: the server owns each view's property map and path, and the property objects it
   * shares with the store are frozen. A deep copy of every instance, all held until the last was
   * written, used to cost more than encoding them did.
   */
  enumerateInstances(ctx: ProviderContext, className: string, options: InstanceOptions = {}): Iterable<CimInstance> {
    return this.repository.instanceViews(ctx.namespace, className, { deep: false, classOrigin: options.includeClassOrigin === true });
  }

  /**
   * The stored instances of `className` alone (no subclasses), not views: frozen, but their
   * property maps are the store's. Not part of the provider interface, so no other part of the
   * server reaches them; EnumerateInstances hands them straight to the encoder when the request
   * asks for instances as they are stored (storedEnumeration.ts), and nothing else may hold them.
   */
  storedInstances(ctx: ProviderContext, className: string): readonly CimInstance[] {
    return this.repository.storedInstances(ctx.namespace, className, { deep: false });
  }

  enumerateInstanceNames(ctx: ProviderContext, className: string): CimObjectPath[] {
    return this.repository.instanceNames(ctx.namespace, className, { deep: false });
  }

  /** A view of the stored instance, as enumerateInstances gives: the server trims it in place. */
  getInstance(ctx: ProviderContext, path: CimObjectPath, options: InstanceOptions = {}): CimInstance {
    return this.repository.instanceView(ctx.namespace, path, { classOrigin: options.includeClassOrigin === true });
  }

  async createInstance(ctx: ProviderContext, instance: CimInstance): Promise<CimObjectPath> {
    const ns = ctx.namespace;
    let stored: CimInstance | undefined;
    await this.enqueue({
      run: () => {
        const path = this.repository.addInstance(ns, instance);
        this.orUndo(() => {
          stored = this.repository.getInstance(ns, path);
          this.write(ns, stored);
          ctx.emitIndication(ns, lifecycleIndication('CIM_InstCreation', ns, stored));
        }, () => this.repository.deleteInstance(ns, path));
      },
      undo: () => { if (stored?.path) this.repository.deleteInstance(ns, stored.path); },
    });
    return stored!.path!;
  }

  async modifyInstance(ctx: ProviderContext, instance: CimInstance, propertyList: readonly string[] | null): Promise<void> {
    const ns = ctx.namespace;
    let before: CimInstance | undefined;
    let after: CimInstance | undefined;
    await this.enqueue({
      run: () => {
        before = this.repository.getInstance(ns, instance.path!);
        this.repository.modifyInstance(ns, instance, propertyList);
        this.orUndo(() => {
          after = this.repository.getInstance(ns, before!.path!);
          this.write(ns, after);
          ctx.emitIndication(ns, lifecycleIndication('CIM_InstModification', ns, after, before));
        }, () => this.repository.modifyInstance(ns, before!, null));
      },
      undo: () => { if (before) this.repository.modifyInstance(ns, before, null); },
    });
  }

  async deleteInstance(ctx: ProviderContext, path: CimObjectPath): Promise<void> {
    const ns = ctx.namespace;
    let before: CimInstance | undefined;
    await this.enqueue({
      run: () => {
        before = this.repository.getInstance(ns, path);
        this.repository.deleteInstance(ns, before.path!);
        this.orUndo(() => {
          this.upsert.run(ns, before!.path!.canonicalKey(), before!.className, null);
          ctx.emitIndication(ns, lifecycleIndication('CIM_InstDeletion', ns, before!));
        }, () => this.repository.addInstance(ns, before!));
      },
      undo: () => { if (before) this.repository.addInstance(ns, before); },
    });
  }

  /** Runs the store half of a change; when it fails, takes the in-memory half back before rethrowing. */
  private orUndo(store: () => void, undo: () => void): void {
    try {
      store();
    } catch (e) {
      undo();
      throw e;
    }
  }

  private write(ns: string, inst: CimInstance): void {
    this.upsert.run(ns, inst.path!.canonicalKey(), inst.className, encodeEmbeddedObject(inst));
  }

  private enqueue(job: Omit<Job, 'resolve' | 'reject'>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...job, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Committed when the task that queued the write ends: the server runs the operations of
        // all requests read in one turn in one task (CallBatch), so they share the transaction,
        // and their replies go out in the same turn rather than after another one.
        process.nextTick(() => this.flush());
      }
    });
  }

  /** Runs the queued writes in one transaction, each in a savepoint; settles them after commit. */
  private flush(): void {
    const jobs = this.queue;
    this.queue = [];
    this.scheduled = false;
    const outcome: (unknown | null)[] = new Array(jobs.length).fill(null);
    try {
      this.db.transaction(() => {
        jobs.forEach((job, i) => {
          try {
            this.db.transaction(() => job.run())();
          } catch (e) {
            outcome[i] = e;
          }
        });
      })();
    } catch (e) {
      // The commit itself failed: nothing is durable, so the in-memory changes are taken back too.
      jobs.forEach((job, i) => {
        if (outcome[i] === null) {
          try { job.undo?.(); } catch { /* best effort */ }
        }
        job.reject(new CimError(CimStatus.CIM_ERR_FAILED, `store write failed: ${(e as Error).message}`));
      });
      return;
    }
    jobs.forEach((job, i) => (outcome[i] === null ? job.resolve() : job.reject(outcome[i])));
  }
}

/** A DSP1054 lifecycle indication (CIM_InstCreation / Modification / Deletion) for `inst`. */
export function lifecycleIndication(className: string, ns: string, inst: CimInstance, previous?: CimInstance): CimInstance {
  const props = new NameMap<CimProperty>();
  const add = (p: CimProperty): void => { props.set(p.name, p); };
  add(new CimProperty('IndicationTime', 'datetime', CimDateTime.fromDate(new Date())));
  add(new CimProperty('SourceInstance', 'string', inst, false, new NameMap(), undefined, 'instance'));
  add(new CimProperty('SourceInstanceModelPath', 'string', inst.path ? inst.path.toString() : null));
  if (previous) add(new CimProperty('PreviousInstance', 'string', previous, false, new NameMap(), undefined, 'instance'));
  void ns;
  return new CimInstance(className, props);
}
