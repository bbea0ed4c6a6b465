// A test-only host process for the crash tests: an IndicationService on a SQLite file, driven by
// line commands on stdin, so the parent can kill -9 it mid-delivery and start it again.
//   setup <listener-url>   create the filter, the destination and the subscription
//   emit <count> <first>   emit CIM_InstCreation for vm<first>..vm<first+count-1>, then print "emitted <count>"
// It prints "ready <startId>" once the service runs.
import { createInterface } from 'node:readline';
import { openStore } from '../../../src/store/Store.js';
import { IndicationService } from '../../../src/wbem/indications/index.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';

const dbFile = process.argv[2];
if (!dbFile) throw new Error('usage: indicationHost.ts DBFILE');
const db = openStore(dbFile);
const svc = new IndicationService({
  db, systemName: 'crashhost', retryAttempts: 1000, retryIntervalMs: 20, maxRetryIntervalMs: 200, requestTimeoutMs: 60_000,
  onError: () => {},
});

function prop(inst: CimInstance, name: string, type: CimProperty['type'], value: CimProperty['value'], isArray = false): void {
  inst.properties.set(name, new CimProperty(name, type, value, isArray));
}

function setup(url: string): void {
  const f = new CimInstance('CIM_IndicationFilter');
  prop(f, 'Name', 'string', 'crash-filter');
  prop(f, 'Query', 'string', 'SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA TVDc_ComputerSystem');
  prop(f, 'QueryLanguage', 'string', 'WQL');
  prop(f, 'SourceNamespaces', 'string', ['root/tvdc'], true);
  const fp = svc.createFilter('root/interop', f);
  const d = new CimInstance('CIM_ListenerDestinationCIMXML');
  prop(d, 'Name', 'string', 'crash-listener');
  prop(d, 'Destination', 'string', url);
  const dp = svc.createDestination('root/interop', d);
  const s = new CimInstance('CIM_IndicationSubscription');
  prop(s, 'Filter', 'reference', fp);
  prop(s, 'Handler', 'reference', dp);
  svc.createSubscription('root/interop', s);
}

function emit(count: number, first: number): void {
  let queued = 0;
  for (let i = first; i < first + count; i++) {
    const vm = new CimInstance('TVDc_ComputerSystem');
    prop(vm, 'Name', 'string', `vm${i}`);
    const ind = new CimInstance('CIM_InstCreation');
    prop(ind, 'SourceInstance', 'string', vm);
    queued += svc.emit('root/tvdc', ind);
  }
  process.stdout.write(`emitted ${queued}\n`);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/);
  if (cmd === 'setup') setup(a!);
  else if (cmd === 'emit') emit(Number(a), Number(b));
});
process.on('SIGTERM', () => {
  void svc.close().then(() => {
    db.close();
    process.exit(0);
  });
});
process.stdout.write(`ready ${svc.startId}\n`);
