// The measurement list of each vTPM (IMA entries in extend order), kept in the host's SQLite
// store beside the vTPM records so a measurement and its log entry survive a crash together.
import type { Db } from '../../store/Store.js';
import { splitFields, type ImaEntry } from '../integrity/ImaEntry.js';

interface Row {
  idx: number;
  pcr: number;
  template_hash: string;
  template_name: string;
  template_data: Buffer;
  file_alg: string;
  file_digest: string;
  path: string;
}

export class MeasurementLog {
  private readonly insert;
  private readonly select;
  private readonly counter;
  private readonly wipe;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      'INSERT INTO vtpm_log (vtpm_id, idx, pcr, template_hash, template_name, template_data, file_alg, file_digest, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.select = db.prepare('SELECT * FROM vtpm_log WHERE vtpm_id = ? AND idx >= ? ORDER BY idx LIMIT ?');
    this.counter = db.prepare('SELECT count(*) FROM vtpm_log WHERE vtpm_id = ?').pluck();
    this.wipe = db.prepare('DELETE FROM vtpm_log WHERE vtpm_id = ?');
  }

  count(vtpmId: string): number {
    return this.counter.get(vtpmId) as number;
  }

  /** Appends entries after the last one (their `index` is set here) in one transaction. */
  append(vtpmId: string, entries: Omit<ImaEntry, 'index'>[]): ImaEntry[] {
    return this.db.transaction(() => {
      let next = this.count(vtpmId);
      return entries.map((e) => {
        const full = { ...e, index: next++ } as ImaEntry;
        this.insert.run(vtpmId, full.index, e.pcr, e.templateHash, e.templateName, e.templateData, e.fileAlg, e.fileDigest, e.path);
        return full;
      });
    })();
  }

  /** Entries from list position `from` on (at most `limit`). */
  entries(vtpmId: string, from = 0, limit = Number.MAX_SAFE_INTEGER): ImaEntry[] {
    return (this.select.all(vtpmId, from, limit) as Row[]).map((r) => {
      const e: ImaEntry = {
        index: r.idx,
        pcr: r.pcr,
        templateHash: r.template_hash,
        templateName: r.template_name,
        templateData: r.template_data,
        fileAlg: r.file_alg,
        fileDigest: r.file_digest,
        path: r.path,
        violation: /^0+$/.test(r.template_hash),
      };
      if (r.template_name === 'ima-sig' || r.template_name === 'ima-buf') {
        const extra = splitFields(r.template_data)?.[2];
        if (extra && r.template_name === 'ima-buf') e.buffer = extra;
        if (extra?.length && r.template_name === 'ima-sig') e.signature = extra;
      }
      return e;
    });
  }

  clear(vtpmId: string): void {
    this.wipe.run(vtpmId);
  }
}
