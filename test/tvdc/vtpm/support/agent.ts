// A stand-in host agent for the crash test: opens a vTPM manager, runs two vTPMs, measures
// into one, prints what it did as one JSON line, then idles until it is killed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VtpmManager } from '../../../../src/tvdc/vtpm/VtpmManager.js';
import { Measurer } from '../../../../src/tvdc/vtpm/Measurer.js';
import { TPM_ALG } from '../../../../src/tvdc/vtpm/TpmConstants.js';

const stateDir = process.argv[2]!;
const { manager } = await VtpmManager.open({ stateDir, hostName: 'crash-host' });
const measurer = new Measurer(manager);
const root = join(stateDir, 'root');
mkdirSync(join(root, 'bin'), { recursive: true });
writeFileSync(join(root, 'bin', 'init'), 'init program');
for (const id of ['a', 'b']) {
  if (!manager.list().some((v) => v.id === id)) await manager.create(id);
  if (!manager.get(id).running) await manager.start(id);
}
await measurer.boot('a', root, [{ pcr: 4, path: '/bin/init' }]);
await measurer.execute('a', root, '/bin/init');
const pcr10 = (await manager.client('a').pcrRead([{ hashAlg: TPM_ALG.SHA256, pcrs: [10] }])).values.get(TPM_ALG.SHA256)!.get(10)!.toString('hex');
process.stdout.write(JSON.stringify({ pids: manager.list().map((v) => v.pid), pcr10 }) + '\n');
setInterval(() => undefined, 1000);
