// Measures a simulated VM through its real vTPM: boot components into PCRs 0-9, then an IMA
// boot_aggregate and one ima-ng entry per executed file into PCR 10. The host reads the files
// from the VM's root directory itself; nothing the VM says about itself is taken on trust.
import { hash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { TvdcError } from '../TvdcError.js';
import { encodeTemplateData, type ImaEntry } from '../integrity/ImaEntry.js';
import { bootAggregates } from '../integrity/ImaReplay.js';
import { readImaBank } from './VtpmPcrs.js';
import type { VtpmManager } from './VtpmManager.js';

/** One boot component: a file of the VM image measured into a boot PCR (0-9). */
export interface BootComponent {
  pcr: number;
  path: string;
}

export const IMA_PCR = 10;

/** Told about every new measurement (how the host agent raises TVDc_IntegrityIndication). */
export type MeasurementListener = (vtpmId: string, entry: ImaEntry) => void;

export class Measurer {
  private readonly listeners = new Set<MeasurementListener>();

  constructor(private readonly manager: VtpmManager) {}

  onMeasurement(listener: MeasurementListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(id: string, entries: readonly ImaEntry[]): void {
    for (const l of this.listeners) {
      for (const e of entries) {
        try {
          l(id, e);
        } catch {
          // A failing listener must not undo a measurement that is already in the TPM.
        }
      }
    }
  }

  /** Resolves `path` inside the VM root; a path escaping it (../, symlink tricks in names) is refused. */
  private static inside(root: string, path: string): string {
    const full = resolve(root, '.' + (path.startsWith('/') ? path : '/' + path));
    const rel = relative(resolve(root), full);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new TvdcError('INVALID_ARGUMENT', `${path} is outside the VM root`);
    return full;
  }

  /**
   * Reads `path` of the image, and names what was read: its canonical path inside the image (no
   * `.`, `..`, `//` or symlink left), as IMA logs the path it measured and not the one a program
   * asked for. Logging the asked-for text would let `/tmp/../miner` pass for something under /tmp.
   */
  private static async read(root: string, path: string): Promise<{ data: Buffer; canonical: string }> {
    try {
      const full = Measurer.inside(root, path);
      // A symlink in the image must not make the host measure (or leak digests of) its own files.
      const [realRoot, realFull] = await Promise.all([realpath(root), realpath(full)]);
      const rel = relative(realRoot, realFull);
      if (rel.startsWith('..') || isAbsolute(rel)) throw new TvdcError('INVALID_ARGUMENT', `${path} resolves outside the VM root`);
      return { data: await readFile(realFull), canonical: '/' + rel.split(sep).join('/') };
    } catch (e) {
      if (e instanceof TvdcError) throw e;
      throw new TvdcError('IO_FAILED', `cannot measure ${path}: ${(e as Error).message}`);
    }
  }

  /**
   * Boots: each component's SHA-1 and SHA-256 digests extend its PCR in both banks, then the
   * boot_aggregate (SHA-256 over PCRs 0-9) opens the IMA log. A TPM 1.2 has the SHA-1 bank only,
   * and its boot_aggregate is, as IMA computes it there, SHA-1 over PCRs 0-7. The vTPM must have
   * just started.
   */
  async boot(id: string, root: string, components: readonly BootComponent[]): Promise<ImaEntry> {
    for (const c of components) {
      if (!Number.isInteger(c.pcr) || c.pcr < 0 || c.pcr > 9) throw new TvdcError('INVALID_ARGUMENT', `boot component ${c.path}: PCR ${c.pcr} is not 0-9`);
    }
    const files = (await Promise.all(components.map((c) => Measurer.read(root, c.path)))).map((f) => f.data);
    return this.manager.withLock(id, async () => {
      const pcrs = this.manager.pcrs(id);
      if (this.manager.log.count(id) !== 0) throw new TvdcError('INVALID_STATE', `vTPM ${id} has measurements already: boot needs a fresh start`);
      for (let i = 0; i < components.length; i++) {
        const data = files[i]!;
        await pcrs.extend(components[i]!.pcr, { sha1: hash('sha1', data, 'buffer') as unknown as Buffer, sha256: hash('sha256', data, 'buffer') as unknown as Buffer });
      }
      const { bank, values } = await readImaBank(pcrs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // The last candidate is the one current kernels write: over PCRs 0-9, in SHA-1 over 0-7.
      return this.record(id, 'boot_aggregate', bank, bootAggregates(bank, values).at(-1)!);
    });
  }

  /**
   * The VM executes `path`: IMA measures the file into PCR 10 and logs an ima-ng entry under the
   * file's canonical path in the image (see read); a path leaving the image is refused.
   */
  async execute(id: string, root: string, path: string): Promise<ImaEntry> {
    const { data, canonical } = await Measurer.read(root, path);
    const digest = hash('sha256', data, 'hex');
    return this.manager.withLock(id, () => this.record(id, canonical, 'sha256', digest));
  }

  private async record(id: string, path: string, alg: string, digest: string): Promise<ImaEntry> {
    const pcrs = this.manager.pcrs(id);
    const templateData = encodeTemplateData('ima-ng', alg, digest, path);
    const e: Omit<ImaEntry, 'index'> = {
      pcr: IMA_PCR,
      templateHash: hash('sha1', templateData, 'hex'),
      templateName: 'ima-ng',
      templateData,
      fileAlg: alg,
      fileDigest: digest,
      path,
      violation: false,
    };
    // As IMA does: log first, then extend; persist the PCRs so a crash keeps both in step.
    const [entry] = this.manager.log.append(id, [e]);
    await pcrs.extend(IMA_PCR, { sha1: Buffer.from(e.templateHash, 'hex'), sha256: hash('sha256', templateData, 'buffer') as unknown as Buffer });
    await this.manager.persistVolatile(id);
    this.notify(id, [entry!]);
    return entry!;
  }

  /**
   * Imports a real IMA measurement list for a host: each entry is extended into the host's TPM
   * (the swtpm standing in for its hardware TPM) exactly as the kernel would have, and logged.
   */
  async importLog(id: string, entries: readonly ImaEntry[]): Promise<number> {
    return this.manager.withLock(id, async () => {
      const pcrs = this.manager.pcrs(id);
      const appended = this.manager.log.append(id, entries.map(({ index: _i, ...rest }) => rest));
      for (const e of appended) {
        const sha1 = e.violation ? Buffer.alloc(20, 0xff) : e.templateHash.length === 40 ? Buffer.from(e.templateHash, 'hex') : (hash('sha1', e.templateData, 'buffer') as unknown as Buffer);
        const sha256 = e.violation ? Buffer.alloc(32, 0xff) : (hash('sha256', e.templateData, 'buffer') as unknown as Buffer);
        await pcrs.extend(e.pcr, { sha1, sha256 });
      }
      await this.manager.persistVolatile(id);
      this.notify(id, appended);
      return appended.length;
    });
  }
}
