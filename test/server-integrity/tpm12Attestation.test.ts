// The management server attests a TPM 1.2 VM as it does a TPM 2.0 one, on one real swtpm host
// behind a real HTTP relay: `tvdc attest run` finds both trusted; the same unknown or malicious
// program makes both the same verdict, and the same plans restart or shut down both (read back
// over CIM), the TPM 1.2 VM attesting trusted again after its reboot though its quotes carry no
// reset count. The relay, as a man in the middle, swaps in a quote key certificate from another
// registered CA (same name, other key), or strips QuoteFamily or AKCertificate: refused, with the
// reason; without QuoteFamily a TPM 2.0 VM attests as with a host older than TPM 1.2 vTPMs. A
// TVDc that monitors gets the TPM 1.2 VM attested as soon as it measures something new.
import { expect } from 'chai';
import { hash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WbemConnection } from '../../client/cim/index.js';
import { ApiClient } from '../../client/cli/ApiClient.js';
import { vmPath } from '../../client/server/HostCim.js';
import { attestationService } from '../../client/server/integrity/CimChallenger.js';
import { HostIndicationFeed } from '../../client/server/HostIndicationFeed.js';
import { createIntegrityModule, type AttestationResult } from '../../client/server/integrity/integrityModule.js';
import { ManagementServer } from '../../client/server/ManagementServer.js';
import { usersModule } from '../../client/server/usersModule.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { runtimePolicyOf } from '../../src/tvdc/integrity/RuntimePolicy.js';
import { VtpmCa } from '../../src/tvdc/vtpm/VtpmCa.js';
import { resignCertificate } from '../tvdc/vtpm/support/quoteKeyCertificates.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli } from '../providers/isolation/support/wbemcli.js';
import { vtpmServicePath } from '../providers/integrity/support/migration.js';
import { removeState, startInProcessHost, type IntegrityHost } from '../providers/integrity/support/IntegrityHost.js';
import { runTvdc, tempDir } from '../server/support/serverHarness.js';

const PW = 'correct horse battery';
const GROUP = 'finance';
/** The TPM 1.2 VM and the TPM 2.0 VM. */
const OLD = 'old';
const NEW = 'new';

function vtpmPath(vm: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_VTPM', { CreationClassName: 'TVDc_VTPM', DeviceID: 'vtpm0', SystemCreationClassName: 'TVDc_ComputerSystem', SystemName: vm }, 'root/tvdc');
}

/**
 * A pass-through HTTP relay to `origin` that may rewrite the CIM-XML answers (PEM text travels
 * unescaped, so a certificate can be swapped as a string).
 */
async function startRelay(origin: string): Promise<{ server: Server; origin: string; tamper?: (body: string) => string }> {
  const to = new URL(origin);
  const relay: { server: Server; origin: string; tamper?: (body: string) => string } = { server: createServer(), origin: '' };
  relay.server.on('request', (req, res) => {
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (ur) => {
      const parts: Buffer[] = [];
      ur.on('data', (c: Buffer) => parts.push(c));
      ur.on('end', () => {
        let body = Buffer.concat(parts);
        if (relay.tamper) body = Buffer.from(relay.tamper(body.toString('utf8')), 'utf8');
        const headers = { ...ur.headers };
        delete headers['content-length'];
        // A chunked answer stays chunked, with its trailers (CIM status travels there on errors).
        if (!headers['transfer-encoding']) headers['content-length'] = String(body.length);
        res.writeHead(ur.statusCode ?? 502, headers);
        res.write(body);
        if (headers['transfer-encoding']) res.addTrailers(ur.trailers);
        res.end();
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => relay.server.listen(0, '127.0.0.1', r));
  relay.origin = `http://127.0.0.1:${(relay.server.address() as AddressInfo).port}`;
  return relay;
}

describe('management server: a TPM 1.2 VM attested beside a TPM 2.0 VM (real swtpm host, server, CLI)', function () {
  this.timeout(60_000);
  let h1: IntegrityHost;
  let p1: HostPaths;
  let conn: WbemConnection;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let tmp: ReturnType<typeof tempDir>;
  let server: ManagementServer;
  let feed: HostIndicationFeed;
  const log: string[] = [];
  let url: string;
  /** The TPM 1.2 VM's quote key certificate as its host gives it, and the other CA's of the same key. */
  let realAkCert: string;
  let rogueAkCert: string;

  const tvdc = (user: string, ...args: string[]) => runTvdc(url, user, PW, ...args);
  const as = (user: string) => new ApiClient(url, user, PW);
  const run = async (vm?: string) => (await as('alice').post<{ results: AttestationResult[] }>('/api/attest/run', { target: 'h1', ...(vm ? { vm } : {}) })).results;
  const cm = async (target: string, call: string) => {
    const r = await wbemcli(['cm', p1.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };
  const execute = async (vm: string, path: string, content: string) => {
    const root = h1.imageRoot(vm);
    mkdirSync(join(root, 'opt'), { recursive: true });
    writeFileSync(join(root, path), content);
    expect(Number((await conn.invokeMethod(vtpmServicePath('h1'), 'ExecuteFile', { Path: path, System: vmPath(vm) })).returnValue)).to.equal(0);
  };
  const enabledState = async (vm: string) => Number((await conn.getInstance(vmPath(vm))).get('EnabledState'));
  const enrolled = (vm: string) => server.db.prepare('SELECT count(*) FROM verifier_enrolment WHERE target = ?').pluck().get(`vm:${vm}`);

  before(async () => {
    h1 = await startInProcessHost('h1');
    p1 = new HostPaths(h1.origin, 'h1');
    conn = new WbemConnection(h1.origin, { namespace: 'root/tvdc' });
    expect((await cm(p1.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    for (const vm of [OLD, NEW]) expect((await cm(p1.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'MarketAnalysis'))).returnValue).to.equal(0);
    // A defined VM has a TPM 2.0 vTPM; the administrator replaces OLD's with a TPM 1.2 before it first runs.
    expect(Number((await conn.invokeMethod(vtpmServicePath('h1'), 'DeleteVTPM', { VTPM: vtpmPath(OLD) })).returnValue)).to.equal(0);
    expect(Number((await conn.invokeMethod(vtpmServicePath('h1'), 'CreateVTPM', { System: vmPath(OLD), TPMSpecMajorVersion: { type: 'uint32', value: 1 } })).returnValue)).to.equal(0);
    for (const vm of [OLD, NEW]) expect((await cm(p1.vm(vm), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect(Number((await conn.getInstance(vtpmPath(OLD))).get('TPMSpecMajorVersion'))).to.equal(1);

    tmp = tempDir('tvdc-mgmt-tpm12-');
    // Another CA of the very same name as h1's vTPM CA, with its own key: it certifies OLD's real
    // quote key, bound to OLD's real EK, so only the issuer's key tells the certificates apart.
    const key = await conn.invokeMethod(attestationService('h1'), 'GetAttestationKey', { Target: vmPath(OLD) });
    expect(key.outParams.get('QuoteFamily')?.value).to.equal('tpm12');
    realAkCert = String(key.outParams.get('AKCertificate')?.value);
    const rogue = VtpmCa.openOrCreate(join(tmp.dir, 'rogue'), 'virtual', 'h1');
    // The CA certifies only keys it reads from a vTPM: the real certificate, signed with the other CA's key.
    rogueAkCert = resignCertificate(realAkCert, readFileSync(join(tmp.dir, 'rogue', 'virtual-ca-key.pem'), 'utf8'));
    expect(new X509Certificate(rogueAkCert).subject).to.equal(new X509Certificate(realAkCert).subject);

    relay = await startRelay(h1.origin);
    // The indication feed lets the last test monitor the TVDc (attestation on new measurements).
    feed = new HostIndicationFeed({ listenPort: 0, resubscribeMs: 60_000 });
    server = ManagementServer.open({ db: join(tmp.dir, 'server.db'), log: (l) => void log.push(l), modules: [feed.module, usersModule, createIntegrityModule({ notifyTimeoutMs: 1_000, clashGraceMs: 0, settleMs: 100, feed })] });
    url = (await server.listen({ port: 0 })).http!;
    await server.users.add('root', 'dcadmin', PW);
    await server.users.add('alice', 'tvdcadmin', PW);
    server.db.prepare('INSERT INTO tvdc_groups (name, created_at) VALUES (?, ?)').run(GROUP, new Date().toISOString());
    server.users.authorize('alice', GROUP);
    server.hosts.add('h1', relay.origin, { user: null, password: null });
    server.hosts.setGroup('h1', GROUP);
    // The other CA is a registered anchor too (of a host h2), so it is one the server knows.
    server.hosts.add('h2', 'http://127.0.0.1:1', { user: null, password: null });
    writeFileSync(join(tmp.dir, 'vtpm-ca.pem'), h1.vtpmCaPem());
    writeFileSync(join(tmp.dir, 'platform-ca.pem'), h1.platformCaPem());
    writeFileSync(join(tmp.dir, 'rogue-ca.pem'), rogue.certificatePem);
    for (const [host, file] of [['h1', 'vtpm-ca.pem'], ['h2', 'rogue-ca.pem']] as const) {
      const r = await tvdc('root', 'attest', 'trust', host, '--vtpm-ca', join(tmp.dir, file), '--platform-ca', join(tmp.dir, 'platform-ca.pem'));
      expect(r.code, r.err).to.equal(0);
    }
    // References scanned from the VM image before anything runs in it (both VMs boot the same image).
    const refs = await as('root').post<{ added: number }>('/api/refdb/import', { policy: runtimePolicyOf([h1.imageRoot(OLD)], { excludes: ['/proc/.*'] }) });
    expect(refs.added).to.be.greaterThan(0);
    await feed.subscribeAll();
    expect((await as('root').get<{ hosts: string[] }>('/api/attest/watch')).hosts).to.deep.equal(['h1']);
  });

  after(async () => {
    await ApiClient.closeAll();
    await conn?.close();
    await server?.stop();
    relay?.server.close();
    if (h1) {
      await h1.stop();
      await removeState(h1.state);
    }
    tmp?.remove();
  });

  it('tvdc attest run: the host, the TPM 1.2 VM and the TPM 2.0 VM are all trusted; the TPM 1.2 one is named so in the result and its event', async () => {
    const r = await tvdc('alice', 'attest', 'run', 'h1');
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/^h1\s+old\s+trusted\s+virtual 1\.2\s+\d+\s+-$/m);
    expect(r.out).to.match(/^h1\s+new\s+trusted\s+virtual\s+\d+\s+-$/m);
    expect(r.out).to.match(/^h1\s+\(host\)\s+trusted\s+hardware\s+\d+\s+-$/m);
    expect(r.out).to.include('3 targets: 3 trusted, 0 unknown, 0 untrusted, 0 failed');
    // Enrolled once each, by its own family's way: the second run quotes without enrolling again.
    const rows = server.db.prepare("SELECT target, enrolled_at FROM verifier_enrolment WHERE target LIKE 'vm:%' ORDER BY target").all() as { target: string; enrolled_at: string }[];
    expect(rows.map((x) => x.target)).to.deep.equal(['vm:new', 'vm:old']);
    const results = await run();
    const byVm = new Map(results.map((x) => [x.vm ?? '(host)', x]));
    expect(byVm.get(OLD)).to.deep.include({ status: 'trusted', virtualTpm: true, tpmFamily: 'tpm12', findings: [] });
    expect(byVm.get(NEW)).to.deep.include({ status: 'trusted', virtualTpm: true, tpmFamily: 'tpm2', findings: [] });
    expect(byVm.get('(host)')).to.deep.include({ status: 'trusted', virtualTpm: false, tpmFamily: 'tpm2' });
    expect(server.db.prepare("SELECT target, enrolled_at FROM verifier_enrolment WHERE target LIKE 'vm:%' ORDER BY target").all()).to.deep.equal(rows);
    const events = (await as('alice').get<{ events: { id: number; message: string }[] }>('/api/events?kind=attestation')).events;
    expect(events.find((e) => e.id === byVm.get(OLD)!.event)?.message).to.equal('VM old on host h1: trusted (virtual TPM 1.2)');
    expect(events.find((e) => e.id === byVm.get(NEW)!.event)?.message).to.equal('VM new on host h1: trusted (virtual TPM)');
  });

  it('a quote key certificate from another registered CA of the same name is refused at enrolment (untrusted, ENROLMENT_REFUSED naming the EK\'s CA) and nothing is enrolled', async () => {
    const forget = await tvdc('root', 'attest', 'forget', 'h1', '--vm', OLD);
    expect(forget.code, forget.err).to.equal(0);
    expect(enrolled(OLD)).to.equal(0);
    let swapped = 0;
    relay.tamper = (body) => {
      if (!body.includes(realAkCert)) return body;
      swapped++;
      return body.split(realAkCert).join(rogueAkCert);
    };
    try {
      const [o] = await run(OLD);
      expect(swapped).to.equal(1); // GetAttestationKey; no quote was asked for
      expect(o!.status).to.equal('untrusted');
      expect(o!.findings).to.have.length(1);
      expect(o!.findings[0]!.code).to.equal('ENROLMENT_REFUSED');
      expect(o!.findings[0]!.message).to.equal('the quote key certificate was not issued by "CN=tvdc vTPM CA h1, O=tvdc, OU=virtual TPM", the CA of the TPM\'s EK');
      expect(enrolled(OLD)).to.equal(0);
    } finally {
      relay.tamper = undefined;
    }
    expect((await run(OLD)).map((x) => [x.status, x.tpmFamily])).to.deep.equal([['trusted', 'tpm12']]);
    expect(enrolled(OLD)).to.equal(1);
  });

  it('after enrolment, a quote carrying the other CA\'s certificate is AK_NOT_BOUND, and one whose QuoteFamily was stripped (read as TPM 2.0) is AK_NOT_BOUND too', async () => {
    try {
      relay.tamper = (body) => body.split(realAkCert).join(rogueAkCert);
      const [swapped] = await run(OLD);
      expect(swapped!.status).to.equal('untrusted');
      expect(swapped!.findings.map((f) => f.code)).to.deep.equal(['AK_NOT_BOUND']);
      expect(swapped!.findings[0]!.message).to.include('the CA of the TPM\'s EK');
      relay.tamper = (body) => body.replace(/<PARAMVALUE NAME="QuoteFamily"[^>]*>\s*<VALUE>tpm12<\/VALUE>\s*<\/PARAMVALUE>/, '');
      const [stripped] = await run(OLD);
      expect(stripped!.status).to.equal('untrusted');
      expect(stripped!.findings.map((f) => f.message)).to.deep.equal(['the quote is a TPM 2.0 quote, but vm:old enrolled a TPM 1.2 key']);
    } finally {
      relay.tamper = undefined;
    }
    expect((await run(OLD)).map((x) => x.status)).to.deep.equal(['trusted']);
  });

  it('a host that names no QuoteFamily (one older than TPM 1.2 vTPMs) is TPM 2.0: the TPM 2.0 VM enrols by credential activation and is trusted; a TPM 1.2 that gives no AKCertificate fails (BAD_ANSWER), enrolling nothing', async () => {
    const strip = (name: string) => (body: string) => body.replace(new RegExp(`<PARAMVALUE NAME="${name}"[^>]*>\\s*<VALUE>[^<]*</VALUE>\\s*</PARAMVALUE>`, 'g'), '');
    try {
      expect((await tvdc('root', 'attest', 'forget', 'h1', '--vm', NEW)).code).to.equal(0);
      let stripped = 0;
      relay.tamper = (body) => {
        const out = strip('QuoteFamily')(body);
        if (out !== body) stripped++;
        return out;
      };
      expect((await run(NEW)).map((x) => [x.status, x.tpmFamily, x.findings.length])).to.deep.equal([['trusted', 'tpm2', 0]]);
      expect(stripped).to.equal(2); // GetAttestationKey and GetQuote; ActivateCredential has none
      expect(enrolled(NEW)).to.equal(1);

      expect((await tvdc('root', 'attest', 'forget', 'h1', '--vm', OLD)).code).to.equal(0);
      relay.tamper = strip('AKCertificate');
      const [o] = await run(OLD);
      expect(o!.status).to.equal('failed');
      expect(o!.findings).to.deep.equal([{ code: 'BAD_ANSWER', message: 'host h1: GetAttestationKey names a TPM 1.2 but gives no AKCertificate, without which its quote key cannot be enrolled' }]);
      expect(enrolled(OLD)).to.equal(0);
    } finally {
      relay.tamper = undefined;
    }
    expect((await run(OLD)).map((x) => [x.status, x.tpmFamily])).to.deep.equal([['trusted', 'tpm12']]);
  });

  it('a known-malicious program makes both VMs untrusted naming it; the restart plan reboots both, which then attest trusted again (the TPM 1.2 VM without a reset count)', async () => {
    const content = 'a known rootkit\n';
    expect((await tvdc('root', 'refdb', 'add', '/opt/rootkit', hash('sha256', content, 'hex'), '--annotation', 'malicious')).code).to.equal(0);
    const plan = await tvdc('alice', 'plans', 'add', GROUP, '--on', 'untrusted', '--action', 'restart');
    expect(plan.code, plan.err).to.equal(0);
    for (const vm of [OLD, NEW]) await execute(vm, '/opt/rootkit', content);
    const results = await Promise.all([OLD, NEW].map(async (vm) => (await run(vm))[0]!));
    for (const o of results) {
      expect(o.status, o.vm).to.equal('untrusted');
      expect(o.findings.map((f) => [f.code, f.path]), o.vm).to.deep.equal([['ENTRY_UNTRUSTED', '/opt/rootkit']]);
      expect(o.actions.map((a) => [a.action, a.status]), o.vm).to.deep.equal([['restart', 'done']]);
    }
    // Rebooted: both measurement lists start again at 0, shorter than where verification had got to.
    for (const vm of [OLD, NEW]) expect(await enabledState(vm)).to.equal(2);
    const after = await run();
    expect(after.map((x) => `${x.vm ?? '(host)'}:${x.status}:${x.findings.length}`).sort()).to.deep.equal(['(host):trusted:0', 'new:trusted:0', 'old:trusted:0']);
    expect((await tvdc('alice', 'plans', 'remove', plan.out.match(/^plan (\d+)/)![1]!)).code).to.equal(0);
  });

  it('a program the reference database does not know makes both VMs unknown; the shutdown plan stops both (EnabledState 3 over CIM)', async () => {
    const plan = await tvdc('alice', 'plans', 'add', GROUP, '--on', 'unknown', '--action', 'shutdown');
    expect(plan.code, plan.err).to.equal(0);
    for (const vm of [OLD, NEW]) await execute(vm, '/opt/dropper', 'not in any reference database\n');
    const r = await tvdc('alice', 'attest', 'run', 'h1');
    expect(r.code, r.err).to.equal(0);
    for (const [vm, tpm] of [[OLD, 'virtual 1\\.2'], [NEW, 'virtual']]) {
      expect(r.out).to.match(new RegExp(`^h1\\s+${vm}\\s+unknown\\s+${tpm}\\s+\\d+\\s+shutdown:done$`, 'm'));
      expect(r.out).to.match(new RegExp(`^  ${vm}: ENTRY_UNKNOWN: entry \\d+: /opt/dropper `, 'm'));
      expect(await enabledState(vm)).to.equal(3);
    }
    const events = await tvdc('alice', 'events', 'list', '--group', GROUP, '--vm', OLD, '--limit', '2');
    expect(events.out).to.match(/action\s+done\s+plan \d+: shutdown for VM old on host h1/);
    expect(events.out).to.match(/attestation\s+unknown\s+VM old on host h1: unknown \(virtual TPM 1\.2\): entry \d+: .*\/opt\/dropper/);
  });

  it('monitoring on: a program run in the TPM 1.2 VM gets it attested without anyone asking (unknown), and the shutdown plan stops it again', async () => {
    expect((await cm(p1.vm(OLD), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect((await run(OLD)).map((x) => x.status)).to.deep.equal(['trusted']); // a fresh boot
    expect((await as('alice').put<{ enabled: boolean }>(`/api/groups/${GROUP}/monitor`, { enabled: true })).enabled).to.equal(true);
    await execute(OLD, '/opt/watched', 'run while monitored\n');
    const seen = (l: string) => /^integrity monitor: VM old on host h1 attested after new measurements: unknown \(event \d+\)$/.test(l);
    for (let i = 0; i < 100 && !log.some(seen); i++) await new Promise((r) => setTimeout(r, 50));
    expect(log.some(seen), log.join('\n')).to.equal(true);
    const last = (await as('alice').get<{ events: { kind: string; message: string }[] }>(`/api/events?vm=${OLD}&limit=2`)).events;
    expect(last.map((e) => e.kind)).to.deep.equal(['action', 'attestation']);
    expect(last[1]!.message).to.match(/^VM old on host h1: unknown \(virtual TPM 1\.2\): entry \d+: \/opt\/watched /);
    expect(await enabledState(OLD)).to.equal(3);
  });
});

