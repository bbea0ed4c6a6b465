// The boot_aggregate a clean VM image gives, computed as its host measures the image at every
// start (each boot component's digest extends its PCR from all zeros, then IMA's aggregate over
// PCRs 0-9): what the reference data lists as known good, so a changed kernel, initrd, boot
// configuration or firmware shows up as a boot_aggregate no clean image has.
import { hash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { BOOT_LIST } from '../vtpm/VmImage.js';
import { IntegrityError } from './IntegrityError.js';
import { bootAggregates, ImaReplay, type PcrBankName } from './ImaReplay.js';

/** The path IMA logs its boot_aggregate entry under, and the reference data lists it under. */
export const BOOT_AGGREGATE = 'boot_aggregate';

export interface BootMeasurement {
  pcr: number;
  /** The component's bytes, as the host reads them from the image. */
  data: Uint8Array;
}

/**
 * The boot_aggregate per vTPM family, as the host writes it: a TPM 2.0 vTPM's IMA bank is
 * SHA-256 and its aggregate covers PCRs 0-9; a TPM 1.2 has SHA-1 only, and IMA's aggregate there
 * covers PCRs 0-7 (so not the initrd, PCR 9).
 */
export interface BootAggregates {
  tpm2: string;
  tpm12: string;
}

const IMA_BANK: Record<keyof BootAggregates, PcrBankName> = { tpm2: 'sha256', tpm12: 'sha1' };

/** The boot_aggregates of a boot that measures `components` in order into fresh PCRs. */
export function bootAggregateOf(components: readonly BootMeasurement[]): BootAggregates {
  for (const c of components) {
    if (!Number.isInteger(c.pcr) || c.pcr < 0 || c.pcr > 9) throw new IntegrityError('POLICY_FORMAT', `boot component in PCR ${c.pcr}: boot components go into PCRs 0-9`);
  }
  const out = {} as BootAggregates;
  for (const family of ['tpm2', 'tpm12'] as const) {
    const bank = IMA_BANK[family];
    const pcrs = new ImaReplay(bank);
    for (const c of components) pcrs.extendHex(c.pcr, hash(bank, c.data, 'hex'));
    const values = new Map<number, Buffer>();
    for (let i = 0; i < 10; i++) values.set(i, pcrs.value(i));
    // The last candidate is the one the host writes (current kernels: 0-9, SHA-1 over 0-7).
    out[family] = bootAggregates(bank, values).at(-1)!;
  }
  return out;
}

/** What a directory tree gives as a VM image's boot. */
export type ImageBoot =
  | { image: true; aggregates: BootAggregates }
  /** Not an image the host can boot: `why` says which boot components it lacks; `partly` when it has some. */
  | { image: false; why: string; partly: boolean };

/**
 * The boot_aggregates of the VM image rooted at `root` (a clean image, read where it can be
 * trusted): its boot list (firmware, kernel, grub.cfg, initrd) read as the host reads it, a
 * symbolic link followed only inside the image. A tree without the whole boot list is no image
 * the host could boot, and gives none.
 */
export function imageBootAggregates(root: string): ImageBoot {
  const realRoot = realpathSync(root);
  const missing: string[] = [];
  const components: BootMeasurement[] = [];
  for (const c of BOOT_LIST) {
    const full = resolve(realRoot, '.' + c.path);
    let real: string;
    try {
      real = realpathSync(full);
      // A directory or device where a boot file should be is no boot file (the host cannot boot it).
      if (!statSync(real).isFile()) throw new Error('not a regular file');
    } catch {
      missing.push(c.path);
      continue;
    }
    const rel = relative(realRoot, real);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new IntegrityError('POLICY_FORMAT', `${c.path} in ${root} resolves outside the image: the host refuses to boot it`);
    try {
      components.push({ pcr: c.pcr, data: readFileSync(real) });
    } catch (e) {
      throw new IntegrityError('POLICY_FORMAT', `cannot read ${c.path} in ${root}: ${(e as Error).message}`, 'IO_FAILED');
    }
  }
  if (missing.length) {
    const has = BOOT_LIST.length - missing.length;
    return { image: false, partly: has > 0, why: `${root} lacks ${missing.join(', ')}${has ? ` (it has ${has} of the ${BOOT_LIST.length} boot components)` : ''}: no VM image the host could boot, so no boot_aggregate` };
  }
  return { image: true, aggregates: bootAggregateOf(components) };
}

/**
 * The reference entries of `root`'s boot when it is scanned as a whole VM image (`prefix` / or
 * none; a subtree scanned under another prefix is not what the host boots): boot_aggregate with
 * its digest for each vTPM family. What both runtime policies and directory imports list.
 */
export function imageBootEntries(root: string, prefix?: string): { path: string; digest: string }[] {
  if (prefix !== undefined && prefix !== '/') return [];
  const boot = imageBootAggregates(root);
  if (!boot.image) return [];
  return [
    { path: BOOT_AGGREGATE, digest: boot.aggregates.tpm2 },
    { path: BOOT_AGGREGATE, digest: boot.aggregates.tpm12 },
  ];
}
