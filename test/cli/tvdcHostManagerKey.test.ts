// tvdc-host --manager-key FILE: the management server's Ed25519 public key, read and checked at
// start (a file it cannot read, or another kind of key, is exit 1 saying so); a host started with
// the key `tvdc server manager-key` printed lets its write user migrate only with that server's
// statement. Real tvdc-host processes and the real tvdc CLI.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CimError, CimStatus, WbemConnection } from '../../client/cim/index.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { UserDirectory } from '../../src/wbem/UserDirectory.js';
import { spawnTvdcHost, type TvdcHostProcess } from '../support/TvdcHostProcess.js';
import { runMain, tempDir } from '../server/support/serverHarness.js';

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function tvdcHost(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'client/cli/tvdc-host.ts'), '--name', 'h', '--vtpm', 'off', '--port', '0', ...args], { cwd: PROJECT_ROOT, timeout: 30_000 }, (err, _out, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stderr: String(stderr) });
    });
  });
}

describe('cli: tvdc-host --manager-key', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-host-manager-key-');
  let host: TvdcHostProcess | undefined;
  after(async () => {
    await host?.stop();
    tmp.remove();
  });

  it('a missing file, a file without a key, an RSA key: exit 1 naming the file or the kind of key', async () => {
    const rsa = join(tmp.dir, 'rsa.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const junk = join(tmp.dir, 'junk.pem');
    writeFileSync(junk, 'not a key\n');
    const missing = join(tmp.dir, 'missing.pem');
    const [m, j, r] = await Promise.all([tvdcHost(['--manager-key', missing]), tvdcHost(['--manager-key', junk]), tvdcHost(['--manager-key', rsa])]);
    expect([m.code, j.code, r.code]).to.deep.equal([1, 1, 1]);
    expect(m.stderr).to.include(`tvdc-host: cannot read --manager-key ${missing}: ENOENT`);
    expect(m.stderr).to.include('tvdc server manager-key --db FILE >');
    expect(j.stderr).to.include('tvdc-host: the manager key (--manager-key) is not a PEM public key');
    expect(r.stderr).to.include('tvdc-host: the manager key (--manager-key) is not the Ed25519 key of a tvdc management server (tvdc server manager-key): its type is rsa');
  });

  it('with the key tvdc server manager-key printed, the host starts, and its write user still cannot migrate without a statement', async () => {
    const printed = await runMain(['server', 'manager-key', '--db', join(tmp.dir, 'server.db')]);
    expect(printed.code).to.equal(0);
    const keyFile = join(tmp.dir, 'manager-key.pem');
    writeFileSync(keyFile, `${printed.out}\n`);
    const users = join(tmp.dir, 'users.json');
    await UserDirectory.addUserToFile(users, 'op', 'write', 'op-password');
    host = await spawnTvdcHost(['--name', 'h', '--port', '0', '--users', users, '--manager-key', keyFile]);
    const conn = new WbemConnection(host.origin, { namespace: 'root/tvdc', user: 'op', password: 'op-password' });
    try {
      const svc = CimObjectPath.instance('TVDc_VirtualSystemMigrationService', {
        CreationClassName: 'TVDc_VirtualSystemMigrationService', Name: 'VirtualSystemMigrationService', SystemCreationClassName: 'TVDc_HostSystem', SystemName: 'h',
      }, 'root/tvdc');
      const vm = CimObjectPath.instance('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: 'v' }, 'root/tvdc');
      let e: unknown;
      try {
        await conn.invokeMethod(svc, 'MigrateVirtualSystemToHost', { ComputerSystem: vm, DestinationHost: 'http://127.0.0.1:1' });
      } catch (x) {
        e = x;
      }
      expect(e).to.be.instanceOf(CimError);
      expect((e as CimError).status).to.equal(CimStatus.CIM_ERR_ACCESS_DENIED);
      // The host has a key (no "no --manager-key"): what is missing is the statement.
      expect((e as CimError).description).to.include("op (write) may migrate VM 'v' only with a MigrationAuthorization");
    } finally {
      await conn.close();
    }
  });
});
