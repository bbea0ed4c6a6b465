// The disk image of a simulated VM as the integrity side sees it: a root directory on the host
// with the files the VM boots and runs, and the boot list that says which file goes into which PCR.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BootComponent } from './Measurer.js';

/** Firmware, boot loader configuration, kernel and initrd, measured in that order at every start. */
export const BOOT_LIST: readonly BootComponent[] = [
  { pcr: 0, path: '/firmware/bios.bin' },
  { pcr: 4, path: '/boot/vmlinuz' },
  { pcr: 5, path: '/boot/grub.cfg' },
  { pcr: 9, path: '/boot/initrd.img' },
];

/** What the booted kernel runs first; measured into PCR 10 right after the boot_aggregate. */
export const INIT_PATH = '/sbin/init';

/** Files every fresh image holds, so a reference database scanned from one image knows them all. */
export const IMAGE_FILES: readonly string[] = [...BOOT_LIST.map((b) => b.path), INIT_PATH, '/bin/sh'];

/** The same bytes for the same path in every image: a scan of one image is a reference for all. */
export function defaultImageContent(path: string): string {
  return `tvdc simulated VM image\n${path}\n`;
}

export class VmImages {
  constructor(private readonly dir: string) {}

  /** The VM's root directory. VM names are file-name safe (the hypervisor checks them). */
  root(vm: string): string {
    return join(this.dir, vm);
  }

  /** Creates the VM's image with the default files when it has none yet; keeps an existing one. */
  ensure(vm: string): string {
    const root = this.root(vm);
    for (const f of IMAGE_FILES) {
      const full = join(root, f);
      if (existsSync(full)) continue;
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, defaultImageContent(f));
    }
    return root;
  }

  remove(vm: string): void {
    rmSync(this.root(vm), { recursive: true, force: true });
  }
}
