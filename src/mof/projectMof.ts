// Where tvdc's own MOF tree is (found by walking up from this module, so it works the same from
// the TypeScript sources in src/mof and from the compiled dist/src/mof), and compiling it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CimRepository } from '../cim/CimRepository.js';
import { compileMof, type CompileMofResult } from './MofCompiler.js';
import { MofError } from './MofError.js';

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
 * namespace root/tvdc) and `interop.mof` (the DMTF classes and TVDc profile classes, namespace
 * root/interop).
 */
export function projectMofFiles(root: string | undefined = projectMofRoot()): string[] {
  if (!root) return [];
  return ['tvdc.mof', 'interop.mof'].map((f) => join(root, f)).filter((f) => existsSync(f));
}

/**
 * Compiles tvdc's schema (root/tvdc and root/interop), then any extra MOF files, into `repository`
 * (a new one when omitted). What a host agent loads at start; check `errors` before using it.
 */
export function compileProjectMof(options: { repository?: CimRepository; extraFiles?: string[]; includeDirs?: string[] } = {}): CompileMofResult {
  const root = projectMofRoot();
  const files = [...projectMofFiles(root), ...(options.extraFiles ?? [])];
  const result = compileMof({
    files,
    includeDirs: [...(options.includeDirs ?? []), ...(root ? [root] : [])],
    ...(options.repository ? { repository: options.repository } : {}),
  });
  if (!root) {
    result.errors.unshift(new MofError('MOF_IO', 'mof/tvdc.mof', 1, 1, 'cannot find the project mof/ directory next to the tvdc installation'));
  }
  return result;
}
