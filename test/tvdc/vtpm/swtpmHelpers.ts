// Test helpers: temp dirs, a guarantee that no swtpm started under them survives a test, and one
// host's vTPM rig.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSwtpmProcesses, killAndWait } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { Attestor } from '../../../src/tvdc/vtpm/Attestor.js';
import { Measurer } from '../../../src/tvdc/vtpm/Measurer.js';
import { VmImages } from '../../../src/tvdc/vtpm/VmImage.js';
import { VtpmManager } from '../../../src/tvdc/vtpm/VtpmManager.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tvdc-${prefix}-`));
}

/** Kills every swtpm whose state dir lies under `dir`, then removes `dir`. */
export async function cleanup(dir: string): Promise<void> {
  for (const p of findSwtpmProcesses(dir)) await killAndWait(p.pid);
  rmSync(dir, { recursive: true, force: true });
}

/** One host's vTPMs under a temp dir: the manager, a measurer and an attestor over it, and VM images. */
export interface VtpmRig {
  dir: string;
  manager: VtpmManager;
  measurer: Measurer;
  attestor: Attestor;
  images: VmImages;
  /** Closes the manager and removes the dir, no swtpm left. */
  close(): Promise<void>;
}

export async function openVtpmRig(prefix: string, hostName = 'host-a'): Promise<VtpmRig> {
  const dir = tempDir(prefix);
  const { manager } = await VtpmManager.open({ stateDir: join(dir, 'host'), hostName });
  return {
    dir, manager, measurer: new Measurer(manager), attestor: new Attestor(manager), images: new VmImages(join(dir, 'images')),
    close: async () => {
      await manager.close();
      await cleanup(dir);
    },
  };
}
