// Runs every bench/*.bench.ts in its own process, one after another, so each starts with a cold
// heap and none skews another's figures. Each prints `name: value unit` lines.
//
// The benches run the build (tsc into dist/, as `npm ci` builds what the installed commands run),
// not the sources through tsx: tsx's transform gives each named function a defineProperty call
// and adds its own loader, which the baselines (saxes, Koa, undici: plain JavaScript in
// node_modules) never pay. `node --import tsx bench/x.bench.ts` still runs one from source.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from './projectRoot.js';

const only = process.argv.slice(2);
const build = spawnSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(PROJECT_ROOT, 'tsconfig.bench.json')], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('bench: the build (tsc -p tsconfig.bench.json) failed');
  process.exit(1);
}
const dir = join(PROJECT_ROOT, 'dist/bench');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const f of files) {
  const r = spawnSync(process.execPath, ['--expose-gc', join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${f}: exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed ? 1 : 0);
