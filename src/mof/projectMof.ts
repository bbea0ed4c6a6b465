// Where tvdc's own MOF tree is: found by walking up from this module, so it works the same from
// the TypeScript sources (src/mof) and from the compiled dist/src/mof.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's mof/ directory (holding tvdc.mof), or undefined when it cannot be found. */
export function projectMofRoot(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'mof');
    if (existsSync(join(candidate, 'tvdc.mof'))) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/**
 * The root files that build tvdc's schema: `tvdc.mof` (qualifiers, DMTF subset and TVDc classes,
 * namespace root/tvdc) and `interop.mof` (the DMTF interop classes and TVDc profile classes,
 * namespace root/interop).
 */
export function projectMofFiles(root: string | undefined = projectMofRoot()): string[] {
  if (!root) return [];
  return ['tvdc.mof', 'interop.mof'].map((f) => join(root, f)).filter((f) => existsSync(f));
}
