// CIM model figures: scalar text parse/format (the XML codec's per-value work), object path
// parse/render/canonical key, and repository instance and class throughput.
import { parseCimScalar, formatCimScalar } from '../src/cim/valueText.js';
import { CimObjectPath } from '../src/cim/CimObjectPath.js';
import { CimRepository } from '../src/cim/CimRepository.js';
import { CimClass } from '../src/cim/CimClass.js';
import { CimProperty } from '../src/cim/CimProperty.js';
import { CimQualifier } from '../src/cim/CimQualifier.js';
import { CimInstance } from '../src/cim/CimInstance.js';
import { NameMap } from '../src/cim/NameMap.js';
import type { CimType } from '../src/cim/CimType.js';
import type { CimScalar } from '../src/cim/CimValue.js';

/** Runs fn(i) for about `ms` milliseconds after a warm-up; returns operations per second. */
function rate(fn: (i: number) => unknown, ms = 400): number {
  let sink: unknown;
  for (let i = 0; i < 20_000; i++) sink = fn(i);
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let k = 0; k < 2000; k++, n++) sink = fn(n);
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return (n / elapsed) * 1000;
}

function line(name: string, value: number, unit: string): void {
  console.log(`${name}: ${value >= 100 ? Math.round(value) : value.toFixed(2)} ${unit}`);
}

const texts: [CimType, string[]][] = [
  ['uint32', ['0', '42', '4294967295', '123456']],
  ['sint64', ['-9223372036854775808', '12', '9007199254740993', '-77']],
  ['real64', ['3.141592653589793', '1e-300', '-0.5', '12345.678']],
  ['boolean', ['TRUE', 'false', 'True', 'FALSE']],
  ['datetime', ['20231015123456.123456+000', '00000001120032.000001:000', '20240229235959.999999-300', '20231015******.******+000']],
  ['string', ['vm1', 'a longer string value', '', 'x']],
];
for (const [type, samples] of texts) {
  line(`cim parse ${type}`, rate((i) => parseCimScalar(type, samples[i & 3] as string)) / 1e6, 'Mops/s');
}
const reals = [Math.PI, 1e-300, -0.5, 12345.678];
line('cim format real64', rate((i) => formatCimScalar('real64', reals[i & 3] as number)) / 1e6, 'Mops/s');
const r32 = reals.map((x) => Math.fround(x));
line('cim format real32', rate((i) => formatCimScalar('real32', r32[i & 3] as number)) / 1e6, 'Mops/s');

const pathText = 'root/tvdc:TVDc_ComputerSystem.CreationClassName="TVDc_ComputerSystem",Name="vm1"';
line('cim path parse', rate(() => CimObjectPath.parse(pathText)) / 1e6, 'Mops/s');
const path = CimObjectPath.parse(pathText);
line('cim path toString', rate(() => path.toString()) / 1e6, 'Mops/s');
line('cim path canonicalKey', rate(() => path.canonicalKey()) / 1e6, 'Mops/s');

// Repository: a class of 10 properties (two keys, an array), 10,000 instances.
const repo = new CimRepository();
repo.createNamespace('root/tvdc');
const key = (): NameMap<CimQualifier> => NameMap.from([new CimQualifier('Key', 'boolean', true)], (q) => q.name);
const propDefs: [string, CimType, boolean][] = [
  ['CreationClassName', 'string', false], ['Name', 'string', false], ['ElementName', 'string', false], ['Memory', 'uint64', false],
  ['Vcpus', 'uint16', false], ['Load', 'real64', false], ['Running', 'boolean', false], ['Started', 'datetime', false],
  ['Labels', 'string', true], ['Counter', 'uint32', false],
];
const base = new CimClass('TVDc_Base', null, new NameMap(), NameMap.from(propDefs.slice(0, 3).map(([n, t, a], i) =>
  new CimProperty(n, t, null, a, i < 2 ? key() : new NameMap())), (p) => p.name));
repo.addClass('root/tvdc', base);
repo.addClass('root/tvdc', new CimClass('TVDc_ComputerSystem', 'TVDc_Base', new NameMap(),
  NameMap.from(propDefs.slice(3).map(([n, t, a]) => new CimProperty(n, t, null, a)), (p) => p.name)));
const values: CimScalar[] = ['TVDc_ComputerSystem', '', 'a vm', 4096n, 2, 0.25, true, '20231015123456.123456+000', '', 7];
function makeInstance(i: number): CimInstance {
  const props = new NameMap<CimProperty>();
  propDefs.forEach(([n, t, a], k) => props.set(n, new CimProperty(n, t, k === 1 ? `vm${i}` : a ? ['red', 'blue'] : values[k] ?? null, a)));
  return new CimInstance('TVDc_ComputerSystem', props);
}
const N = 10_000;
const made = Array.from({ length: N }, (_, i) => makeInstance(i));
let t0 = process.hrtime.bigint();
const paths = made.map((inst) => repo.addInstance('root/tvdc', inst));
line('cim repository addInstance', N / (Number(process.hrtime.bigint() - t0) / 1e9), 'instances/s');
line('cim repository getInstance', rate((i) => repo.getInstance('root/tvdc', paths[i % N] as CimObjectPath)), 'instances/s');
t0 = process.hrtime.bigint();
let total = 0;
for (let k = 0; k < 5; k++) total += repo.instances('root/tvdc', 'TVDc_Base').length;
line('cim repository enumerate', total / (Number(process.hrtime.bigint() - t0) / 1e9), 'instances/s');
line('cim repository getClass', rate(() => repo.getClass('root/tvdc', 'TVDc_ComputerSystem')), 'classes/s');
