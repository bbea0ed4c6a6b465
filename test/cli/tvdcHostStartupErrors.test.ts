// tvdc-host's startup errors as a user sees them: `tvdc-host: CODE: message` and exit 1 for the
// users file (USERS_*), the state directory (STORE_OPEN) and the listener (WBEM_*), the codes the
// README documents.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../server/support/serverHarness.js';

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function tvdcHost(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'client/cli/tvdc-host.ts'), '--name', 'h', '--vtpm', 'off', ...args], { cwd: PROJECT_ROOT, timeout: 30_000 }, (err, _out, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stderr: String(stderr) });
    });
  });
}

describe('cli: tvdc-host startup errors carry their code', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-host-errors-');
  let busy: Server;
  let busyPort: number;

  before(async () => {
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    busyPort = (busy.address() as { port: number }).port;
  });
  after(() => {
    busy?.close();
    tmp.remove();
  });

  it('a users file entry, a port in use, bad TLS files, a file where --state must go: tvdc-host: CODE: message, exit 1', async () => {
    const file = (name: string, text: string) => {
      const f = join(tmp.dir, name);
      writeFileSync(f, text);
      return f;
    };
    const badRole = file('role.txt', 'a:superuser:scrypt$1\n');
    const junk = file('junk.pem', 'not a pem');
    // One of each error class the agent prints with its code (each process costs seconds of tsx).
    const cases: [string[], RegExp][] = [
      [['--port', '0', '--users', badRole], new RegExp(`^tvdc-host: USERS_ROLE: ${badRole}:1:\\d+: role "superuser"`)],
      [['--port', String(busyPort)], new RegExp(`^tvdc-host: WBEM_LISTEN: cannot listen on 127.0.0.1:${busyPort}: `)],
      [['--port', '0', '--https-port', '0', '--cert', junk, '--key', junk], /^tvdc-host: WBEM_TLS_CONFIG: cannot use the certificate\/key: /],
      [['--port', '0', '--state', join(junk, 'state')], new RegExp(`^tvdc-host: STORE_OPEN: cannot make directory ${join(junk, 'state')}: ${junk} exists and is not a directory$`)],
    ];
    const results = await Promise.all(cases.map(([args]) => tvdcHost(args)));
    results.forEach((r, i) => {
      const [args, re] = cases[i]!;
      const last = r.stderr.trim().split('\n').at(-1)!;
      expect(last, args.join(' ')).to.match(re);
      expect(r.code, args.join(' ')).to.equal(1);
    });
  });
});
