// Test helpers: temp dirs and a guarantee that no swtpm started under them survives a test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSwtpmProcesses, killAndWait } from '../../../src/tvdc/vtpm/SwtpmProcess.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tvdc-${prefix}-`));
}

/** Kills every swtpm whose state dir lies under `dir`, then removes `dir`. */
export async function cleanup(dir: string): Promise<void> {
  for (const p of findSwtpmProcesses(dir)) await killAndWait(p.pid);
  rmSync(dir, { recursive: true, force: true });
}
