// MOF compiler throughput on a large generated schema: the DMTF CIM 2.41 interop classes (with
// their qualifiers, properties, methods and long descriptions) renamed and repeated past 5 MB,
// compiled into a fresh repository. Lexer-only and parse-only rates show where the time goes.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileMof, parseMof, MofLexer, TokenKind } from '../src/mof/index.js';
import { PROJECT_ROOT } from './projectRoot.js';

const fixture = readFileSync(resolve(PROJECT_ROOT, '../shared/fixtures/cim/dmtf/dmtf-cim241-interop-min.mof'), 'utf8');
const split = fixture.indexOf('   [Abstract');
const qualifiers = fixture.slice(0, split);
const classes = fixture.slice(split);

// Each copy renames every CIM_ class (declarations, superclasses, REF types alike), so the copies
// are independent class trees of the same shape.
let text = qualifiers;
for (let i = 0; Buffer.byteLength(text) < 5.5 * 1024 * 1024; i++) text += classes.replace(/\bCIM_/g, `B${i}_`);
const mb = Buffer.byteLength(text) / (1024 * 1024);

/** Best wall time of `runs` (the first ones warm the JIT up) and the CPU time of that run. */
function best(runs: number, f: () => void): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    f();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(c0);
    if (wall < min) {
      min = wall;
      lastCpu = (cpu.user + cpu.system) / 1e6;
    }
  }
  return min;
}
let lastCpu = 0;

let classCount = 0;
const compileSeconds = best(6, () => {
  const r = compileMof({ sources: [{ name: 'generated.mof', text }] });
  if (r.errors.length) throw new Error(`generated MOF did not compile: ${r.errors[0]!.message}`);
  classCount = r.classes.length;
});
// On a shared machine wall time includes waiting for a core; CPU time (all threads, GC included) does not.
const compileCpuSeconds = lastCpu;
const parseSeconds = best(4, () => {
  const r = parseMof(text, 'generated.mof');
  if (r.errors.length) throw new Error(r.errors[0]!.message);
});
const lexSeconds = best(4, () => {
  const lx = new MofLexer(text, 'generated.mof', (e) => { throw e; });
  while (lx.next().kind !== TokenKind.EOF) { /* count nothing: the token stream is the work */ }
});

console.log(`mof_input_size: ${mb.toFixed(2)} MB`);
console.log(`mof_input_classes: ${classCount} classes`);
console.log(`mof_lex: ${(mb / lexSeconds).toFixed(1)} MB/s`);
console.log(`mof_parse: ${(mb / parseSeconds).toFixed(1)} MB/s`);
console.log(`mof_compile: ${(mb / compileSeconds).toFixed(1)} MB/s`);
console.log(`mof_compile_cpu: ${(mb / compileCpuSeconds).toFixed(1)} MB/s`);
