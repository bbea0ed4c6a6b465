// The project's root directory, found from this file's own location, so that a bench reads its
// fixtures alike when run from its source (through tsx) and from the build in dist/bench.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function find(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'tsconfig.bench.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('bench: the project root (the folder with tsconfig.bench.json) was not found');
    dir = up;
  }
  return dir;
}

export const PROJECT_ROOT = find();
